"""Service keys: Bearer auth, revocation, per-key rate limit, CORS only for listed origins."""

import io

import pytest
import requests
from django.core.management import CommandError, call_command

from profileviewer.api import ratelimit
from profileviewer.api.models import ServiceKey
from tests.api.conftest import STOREFRONT

pytestmark = pytest.mark.postgres

JOE = "/api/v1/profiles/userId:qrc-117322"


def assert_auth_error(response):
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_error"


def test_a_request_without_a_key_is_refused(api):
    assert_auth_error(api.get(JOE))


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "pvk_abc", "Bearer a b", "Bearer pvk_x"],
)
def test_a_malformed_authorization_header_is_refused(api, header):
    assert_auth_error(api.get(JOE, headers={"Authorization": header}))


def test_an_unknown_key_is_refused(api):
    forged = api.shop_token[:-4] + "AAAA"
    assert_auth_error(api.get(JOE, forged))


def test_a_revoked_key_is_refused(api):
    assert_auth_error(api.get(JOE, api.revoked_token))


def test_revoking_a_key_takes_effect_on_the_next_request(api):
    assert api.get(JOE, api.shop_token).status_code == 200
    ServiceKey.objects.filter(name="web shop").update(revoked_at="2026-01-02T00:00:00Z")
    assert_auth_error(api.get(JOE, api.shop_token))


def test_a_key_is_stored_only_as_a_hash_and_records_its_last_use(api):
    key = ServiceKey.objects.get(name="web shop")
    assert api.shop_token not in (key.key_hash, key.prefix)
    assert api.shop_token.startswith(f"pvk_{key.prefix}_")
    assert key.last_used_at is None
    api.get(JOE, api.shop_token)
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_a_key_over_its_rate_limit_gets_429_with_retry_after(api):
    ServiceKey.objects.filter(name="web shop").update(rate_limit=0.5, rate_burst=2)
    statuses = [api.get(JOE, api.shop_token).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = api.get(JOE, api.shop_token)
    assert limited.json()["error"]["code"] == "rate_limit_error"
    assert int(limited.headers["Retry-After"]) >= 1


@pytest.mark.parametrize(
    ("rate", "burst"), [(0, 20), (-1, 20), (0, 0), (10, 0), (float("inf"), 20)]
)
def test_a_key_whose_limit_allows_nothing_gets_429_not_500(api, rate, burst):
    """Such a row predates the model's validators (or was written by hand): no request passes."""
    ServiceKey.objects.filter(name="web shop").update(rate_limit=rate, rate_burst=burst)
    for _ in range(2):
        limited = api.get(JOE, api.shop_token)
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limit_error"
        assert int(limited.headers["Retry-After"]) == ratelimit.UNUSABLE_RETRY_AFTER
    assert api.get(JOE, api.crm_token).status_code == 200


def test_one_keys_limit_does_not_slow_another_key(api):
    ServiceKey.objects.filter(name="web shop").update(rate_limit=0.5, rate_burst=1)
    api.get(JOE, api.shop_token)
    assert api.get(JOE, api.shop_token).status_code == 429
    assert api.get(JOE, api.crm_token).status_code == 200


def test_no_cors_headers_for_a_key_without_origins(api):
    response = api.get(JOE, api.shop_token, headers={"Origin": STOREFRONT})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_cors_allows_only_the_origins_a_key_lists(api):
    allowed = api.get(JOE + "/summary", api.storefront_token, headers={"Origin": STOREFRONT})
    other = api.get(
        JOE + "/summary", api.storefront_token, headers={"Origin": "https://evil.example"}
    )
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == STOREFRONT
    assert "X-Request-Id" in allowed.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Origin" not in other.headers


def test_a_preflight_is_answered_only_for_a_listed_origin(api):
    def preflight(origin):
        return requests.options(
            api.url + JOE,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
            timeout=5,
        )

    ok = preflight(STOREFRONT)
    assert ok.status_code == 204
    assert ok.headers["Access-Control-Allow-Origin"] == STOREFRONT
    assert "Authorization" in ok.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Origin" not in preflight("https://evil.example").headers


def test_create_service_key_prints_a_working_key_once(api):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_service_key", "reporting", "--rate-limit", "5", stdout=out, stderr=err)
    token = out.getvalue().strip()
    assert "shown only once" in err.getvalue()
    assert api.get(JOE, token).status_code == 200
    key = ServiceKey.objects.get(name="reporting")
    assert key.rate_limit == 5
    assert token not in repr(key) and token not in str(key)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate-limit", "0"], "--rate-limit must be a number above 0"),
        (["--rate-limit", "-2.5"], "--rate-limit must be a number above 0"),
        (["--rate-limit", "nan"], "--rate-limit must be a number above 0"),
        (["--rate-limit", "inf"], "--rate-limit must be a number above 0"),
        (["--burst", "0"], "--burst must be at least 1"),
        (["--burst", "-3"], "--burst must be at least 1"),
    ],
)
@pytest.mark.django_db
def test_create_service_key_refuses_a_limit_that_allows_nothing(args, message):
    out = io.StringIO()
    with pytest.raises(CommandError, match=message):
        call_command("create_service_key", "reporting", *args, stdout=out, stderr=io.StringIO())
    assert out.getvalue() == ""
    assert not ServiceKey.objects.filter(name="reporting").exists()


def test_a_presented_key_is_never_echoed_in_responses_or_logs(api, caplog):
    import logging

    forged = api.shop_token[:-6] + "ZZZZZZ"
    with caplog.at_level(logging.DEBUG):
        responses = [
            api.get(JOE, forged),
            api.get(JOE, api.revoked_token),
            api.get(JOE, api.shop_token),
            api.get(JOE + "/summary", api.shop_token),
        ]
    for response in responses:
        for secret in (forged, api.revoked_token, api.shop_token):
            assert secret not in response.text
            assert secret not in str(response.headers)
    for secret in (forged, api.revoked_token, api.shop_token):
        assert secret not in caplog.text
