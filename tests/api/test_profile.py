import pytest

pytestmark = pytest.mark.postgres


def test_it_returns_a_compact_profile_with_key_traits_and_last_activity(api):
    response = api.get("/api/v1/profiles/userId:qrc-117322", api.shop_token)
    assert response.status_code == 200
    body = response.json()
    assert body["ref"] == "userId:qrc-117322"
    [joe] = body["profiles"]
    assert joe["displayName"] == "Joe Bloggs"
    assert joe["email"] == "joe.bloggs@example.com"
    assert joe["organisation"] == "Intilery"
    assert joe["customTraits"] == {"plan": "pro"}
    assert joe["marketingPreferences"]["email"] is True
    assert joe["marketingPreferences"]["whatsapp"] is False
    assert joe["audiences"] == ["vip_customers"]
    assert joe["lastActivityTime"].endswith("Z")


def test_an_id_with_a_percent_encoded_slash_reaches_the_right_customer(api):
    response = api.get("/api/v1/profiles/userId:acct%2F00042", api.shop_token)
    assert response.status_code == 200
    assert response.json()["profiles"][0]["externalId"] == "acct/00042"


def test_an_email_shared_by_two_profiles_returns_both(api):
    response = api.get("/api/v1/profiles/email:sam.taylor%40example.com", api.shop_token)
    assert response.status_code == 200
    ids = {p["externalId"] for p in response.json()["profiles"]}
    assert ids == {"sam-taylor-uk", "sam-taylor-us"}


def test_an_unknown_customer_is_a_json_404(api):
    response = api.get("/api/v1/profiles/userId:nobody-here", api.shop_token)
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Profile was not found."}}


@pytest.mark.parametrize(
    "ref",
    [
        "qrc-117322",
        "phone:0123",
        "userId:",
        "id:not-a-uuid",
        "email:no-at-sign",
        "userId:" + "x" * 600,
    ],
)
def test_a_malformed_reference_is_a_validation_error(api, ref):
    response = api.get(f"/api/v1/profiles/{ref}", api.shop_token)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_every_response_carries_our_request_id(api):
    ok = api.get("/api/v1/profiles/userId:qrc-117322", api.shop_token)
    missing = api.get("/api/v1/profiles/userId:nobody", api.shop_token)
    denied = api.get("/api/v1/profiles/userId:qrc-117322")
    ids = [r.headers.get("X-Request-Id") for r in (ok, missing, denied)]
    assert all(ids) and len(set(ids)) == 3


def test_other_methods_are_refused_with_a_json_405(api):
    import requests

    response = requests.post(
        api.url + "/api/v1/profiles/userId:qrc-117322",
        headers={"Authorization": f"Bearer {api.shop_token}"},
        timeout=5,
    )
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "invalid_request_error"


def test_an_unknown_api_path_is_a_json_404(api):
    response = api.get("/api/v1/nothing-here", api.shop_token)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_behind_gunicorn_an_encoded_slash_never_splits_off_a_sub_resource(api, client):
    # gunicorn passes the undecoded path as RAW_URI; Django's own path has %2F decoded to "/".
    auth = {"HTTP_AUTHORIZATION": f"Bearer {api.shop_token}"}
    as_id = client.get(
        "/api/v1/profiles/userId:qrc-117322/summary",
        RAW_URI="/api/v1/profiles/userId:qrc-117322%2Fsummary",
        **auth,
    )
    assert as_id.status_code == 404  # the id "qrc-117322/summary": no such customer
    as_summary = client.get(
        "/api/v1/profiles/userId:qrc-117322/summary",
        RAW_URI="/api/v1/profiles/userId:qrc-117322/summary",
        **auth,
    )
    assert as_summary.json()["ref"] == "userId:qrc-117322"
    assert "churnRisk" in as_summary.json()


def test_a_raw_uri_that_is_not_a_uri_falls_back_to_the_decoded_path(api, client):
    response = client.get(
        "/api/v1/profiles/userId:qrc-117322/summary",
        RAW_URI="http://[",
        HTTP_AUTHORIZATION=f"Bearer {api.shop_token}",
    )
    assert response.status_code == 200
    assert response.json()["ref"] == "userId:qrc-117322"
