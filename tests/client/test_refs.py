"""Profile references (PAPI-2): what agents type, what links carry, what goes in the path."""

import pytest

from profileviewer.client import ProfileRef, ProfileRefError, ValidationError

JOE_ID = "4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("joe.bloggs@example.com", ProfileRef("email", "joe.bloggs@example.com")),
        (JOE_ID, ProfileRef("id", JOE_ID)),
        ("qrc-117322", ProfileRef("userId", "qrc-117322")),
        ("  qrc-117322\n", ProfileRef("userId", "qrc-117322")),
        ("acct/00042", ProfileRef("userId", "acct/00042")),
        ("power user+1", ProfileRef("userId", "power user+1")),
        ("order:1234", ProfileRef("userId", "order:1234")),
    ],
)
def test_lookup_box_guesses_the_id_type_from_the_value(typed, expected):
    assert ProfileRef.from_lookup(typed) == expected


def test_explicit_prefix_wins_over_the_guess():
    assert ProfileRef.from_lookup("userId:joe@example.com") == ProfileRef(
        "userId", "joe@example.com"
    )
    assert ProfileRef.from_lookup(f"userId:{JOE_ID}") == ProfileRef("userId", JOE_ID)
    assert ProfileRef.from_lookup("email:Joe@Example.com").id_type == "email"


def test_uppercase_intilery_id_is_normalised():
    assert ProfileRef.from_lookup(JOE_ID.upper()).value == JOE_ID


@pytest.mark.parametrize(
    ("typed", "message_part"),
    [
        ("", "Enter an email, an external id or an Intilery id."),
        ("   ", "Enter an email, an external id or an Intilery id."),
        ("x" * 513, "too long"),
        ("joe\x00bloggs", "control characters"),
        ("email:joe.example.com", "needs an @"),
        ("id:not-a-uuid", "Intilery id looks like"),
        ("userId:", "Enter an email"),
    ],
)
def test_bad_lookup_gives_a_message_an_agent_can_act_on(typed, message_part):
    with pytest.raises(ProfileRefError) as caught:
        ProfileRef.from_lookup(typed)
    assert message_part in str(caught.value)
    assert caught.value.http_status is None
    assert isinstance(caught.value, ValidationError)


def test_strict_parse_accepts_the_three_id_types():  # PAPI-2
    assert ProfileRef.parse("userId:qrc-117322") == ProfileRef("userId", "qrc-117322")
    assert ProfileRef.parse("email:a@b.c") == ProfileRef("email", "a@b.c")
    assert ProfileRef.parse(f"id:{JOE_ID}") == ProfileRef("id", JOE_ID)
    assert ProfileRef.parse("userId:a:b") == ProfileRef("userId", "a:b")


@pytest.mark.parametrize("text", ["qrc-117322", "phone:+4411", "UserId:x", ":x", "anonymousId:1"])
def test_strict_parse_rejects_anything_but_type_colon_value(text):  # PAPI-2
    with pytest.raises(ProfileRefError):
        ProfileRef.parse(text)


def test_constructor_checks_like_the_parsers():
    with pytest.raises(ProfileRefError):
        ProfileRef("phone", "+44")  # type: ignore[arg-type]
    with pytest.raises(ProfileRefError):
        ProfileRef("id", "123")


@pytest.mark.parametrize(
    ("ref", "segment"),
    [
        (ProfileRef("userId", "acct/00042"), "userId:acct%2F00042"),
        (ProfileRef("userId", "power user+1"), "userId:power%20user%2B1"),
        (ProfileRef("email", "a+b@example.com"), "email:a%2Bb%40example.com"),
        (ProfileRef("userId", "x?y#z%"), "userId:x%3Fy%23z%25"),
    ],
)
def test_path_segment_is_percent_encoded_as_one_segment(ref, segment):  # PAPI-2
    assert ref.path_segment() == segment


def test_str_is_the_unencoded_reference_for_display():
    assert str(ProfileRef("userId", "acct/00042")) == "userId:acct/00042"
    assert ProfileRef.parse(str(ProfileRef("userId", "acct/00042"))) == ProfileRef(
        "userId", "acct/00042"
    )
