"""A profile's identities: GET .../profiles/{ref}/external_ids (PAPI-3)."""

import pytest

from tests.sandbox.factories import api_fixture, assert_error, make_profile  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_external_ids_list_every_identity_of_the_profile(api):  # PAPI-3
    joe = make_profile(
        external_id="qrc-117322",
        email="joe.bloggs@example.com",
        extra_identities=[("anonymousId", "anon-1"), ("phone", "+447700900123")],
    )
    body = api.profile("userId:qrc-117322", "external_ids").json()
    assert {(i["type"], i["id"]) for i in body["data"]} == {
        ("id", str(joe.id)),
        ("userId", "qrc-117322"),
        ("email", "joe.bloggs@example.com"),
        ("anonymousId", "anon-1"),
        ("phone", "+447700900123"),
    }
    assert all(i["profileId"] == str(joe.id) for i in body["data"])
    assert all(i["createdTime"] == "2026-01-01T12:00:00.000Z" for i in body["data"])


def test_external_ids_by_email_cover_every_matching_profile(api):  # PAPI-3, PAPI-14
    uk = make_profile(external_id="sam-taylor-uk", email="sam.taylor@example.com")
    us = make_profile(external_id="sam-taylor-us", email="sam.taylor@example.com")
    body = api.profile("email:sam.taylor@example.com", "external_ids").json()
    user_ids = {i["id"]: i["profileId"] for i in body["data"] if i["type"] == "userId"}
    assert user_ids == {"sam-taylor-uk": str(uk.id), "sam-taylor-us": str(us.id)}


def test_external_ids_page_with_from_and_size(api):  # PAPI-3, PAPI-11
    make_profile(
        external_id="joe", extra_identities=[("anonymousId", f"anon-{n}") for n in range(5)]
    )
    first = api.profile("userId:joe", "external_ids", params={"size": 3}).json()["data"]
    rest = api.profile("userId:joe", "external_ids", params={"from": 3, "size": 3}).json()["data"]
    assert len(first) == len(rest) == 3
    assert not {i["id"] for i in first} & {i["id"] for i in rest}


@pytest.mark.parametrize(
    "params", [{"size": "0"}, {"size": "x"}, {"from": "-2"}, {"from": "9999", "size": "2"}]
)
def test_external_ids_validate_from_and_size_like_events(api, params):  # PAPI-11
    make_profile(external_id="joe")
    response = api.profile("userId:joe", "external_ids", params=params)
    assert_error(response, 400, "validation_error")
