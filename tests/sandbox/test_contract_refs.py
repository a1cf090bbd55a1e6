"""Profile references in the path: `{idType}:{id}` as one percent-encoded segment (PAPI-1, 2)."""

import uuid

import pytest

from tests.sandbox.factories import api_fixture, assert_error, make_profile  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

BAD_REF = "ProfileID must be in format of id_type:id"


@pytest.mark.parametrize(
    "external_id", ["acct/00042", "power user+1", "a/b/c", "50%off", "x:y", "ünïcødé"]
)
def test_external_ids_with_slashes_spaces_and_plus_round_trip(api, external_id):  # PAPI-2
    profile = make_profile(external_id=external_id)
    response = api.profile(f"userId:{external_id}", "traits")
    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(profile.id)
    assert response.json()["externalId"] == external_id


def test_the_literal_encodings_clients_send_are_decoded_once(api):  # PAPI-2
    slash = make_profile(external_id="acct/00042")
    spaced = make_profile(external_id="power user+1")
    assert api.raw_profile("userId:acct%2F00042", "traits").json()["id"] == str(slash.id)
    assert api.raw_profile("userId:power%20user%2B1", "traits").json()["id"] == str(spaced.id)


def test_a_plus_in_the_path_is_a_plus_not_a_space(api):  # PAPI-2
    profile = make_profile(external_id="power user+1")
    assert api.raw_profile("userId:power%20user+1", "traits").json()["id"] == str(profile.id)


def test_an_encoded_percent_is_not_decoded_twice(api):  # PAPI-2
    make_profile(external_id="acct/00042")
    response = api.raw_profile("userId:acct%252F00042", "traits")
    assert_error(response, 404, "not_found")


def test_email_with_plus_and_at_is_looked_up(api):  # PAPI-2
    profile = make_profile(email="sam+shop@example.com")
    response = api.profile("email:sam+shop@example.com", "traits")
    assert response.json()["data"][0]["id"] == str(profile.id)


def test_intilery_id_is_looked_up_in_any_case(api):  # PAPI-2
    profile = make_profile(external_id="joe")
    for text in (str(profile.id), str(profile.id).upper()):
        response = api.profile(f"id:{text}", "traits")
        assert response.status_code == 200
        assert response.json()["externalId"] == "joe"


@pytest.mark.parametrize(
    "raw_segment",
    ["phone:07700900000", "userid:joe", "anonymousId:abc", "joe", "userId", ":joe", "userId:", ""],
)
def test_malformed_references_are_validation_errors(api, raw_segment):  # PAPI-2
    make_profile(external_id="joe")
    for endpoint in ("traits", "meta", "events", "external_ids"):
        response = api.raw_profile(raw_segment, endpoint)
        assert assert_error(response, 400, "validation_error") == BAD_REF


def test_an_id_over_512_characters_is_too_long(api):  # PAPI-2
    response = api.profile("userId:" + "x" * 513, "traits")
    assert "too long" in assert_error(response, 400, "validation_error")


def test_a_ten_kilobyte_id_is_a_validation_error_not_a_crash(api):  # PAPI-2
    for ref in ("userId:" + "x" * 10_240, "email:" + "a" * 10_230 + "@example.com"):
        response = api.profile(ref, "events")
        assert "too long" in assert_error(response, 400, "validation_error")


def test_an_id_of_exactly_512_characters_is_looked_up(api):  # PAPI-2
    long_id = "y" * 512
    make_profile(external_id="short")
    assert_error(api.profile(f"userId:{long_id}", "traits"), 404, "not_found")


def test_an_id_that_is_not_a_uuid_names_no_profile(api):  # PAPI-2
    make_profile(external_id="joe")
    response = api.profile("id:joe", "traits")
    assert assert_error(response, 404, "not_found") == "Profile was not found."


@pytest.mark.parametrize("ref", ["userId:nobody", "email:nobody@example.com", f"id:{uuid.uuid4()}"])
def test_an_unknown_profile_is_not_found(api, ref):  # PAPI-20
    make_profile(external_id="joe", email="joe@example.com")
    for endpoint in ("traits", "meta", "events", "external_ids"):
        response = api.profile(ref, endpoint)
        assert assert_error(response, 404, "not_found") == "Profile was not found."


def test_validation_comes_before_look_up(api):  # PAPI-2, PAPI-11
    response = api.profile("userId:nobody", "events", params={"size": "0"})
    assert_error(response, 400, "validation_error")


@pytest.mark.parametrize("raw_segment", ["userId:a%0Ab", "%0A", "userId:%0D%0A", "email:%00"])
def test_control_characters_in_a_reference_get_json_answers(api, raw_segment):  # PAPI-2, PAPI-10
    response = api.raw_profile(raw_segment, "meta")
    assert response.status_code in {400, 404}
    assert response.headers["Content-Type"] == "application/json"
    uuid.UUID(response.headers["x-amzn-RequestId"])


def test_a_newline_in_an_unknown_path_is_still_a_json_404(api):  # PAPI-10
    response = api.call(f"{api.root}/nothing%0Ahere")
    assert_error(response, 404, "not_found")
