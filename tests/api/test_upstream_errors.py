"""Upstream trouble becomes a 502/503/504 JSON error with the upstream request id, never a 500;
and the Intilery key never reaches a caller or a log."""

import logging

import pytest
from django.test import override_settings

pytestmark = pytest.mark.postgres

JOE = "/api/v1/profiles/userId:qrc-117322"


@pytest.fixture
def failing_upstream(api):
    with override_settings(SANDBOX_FAULT_ERROR_RATE=1, INTILERY_CALL_BUDGET=0.5):
        yield api


@pytest.mark.parametrize(
    "path", [JOE, JOE + "/summary", JOE + "/recommendations/viewed-not-purchased"]
)
def test_an_upstream_failure_is_a_502_or_503_naming_the_upstream_request(failing_upstream, path):
    response = failing_upstream.get(path, failing_upstream.shop_token)
    assert response.status_code in (502, 503, 504)
    error = response.json()["error"]
    assert error["code"].startswith("upstream_")
    upstream_id = response.headers.get("X-Upstream-Request-Id")
    if response.status_code != 504:
        assert upstream_id and upstream_id in error["message"]


def test_an_upstream_that_is_down_is_a_504(api):
    with override_settings(INTILERY_API_URL="http://127.0.0.1:9/sandbox", INTILERY_CALL_BUDGET=0.3):
        response = api.get(JOE, api.shop_token)
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "upstream_timeout"


def test_a_wrong_intilery_key_is_our_misconfiguration_not_the_callers(api, caplog):
    with (
        override_settings(INTILERY_API_TOKEN="wrong-secret-token-value"),
        caplog.at_level(logging.DEBUG),
    ):
        response = api.get(JOE, api.shop_token)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "upstream_misconfigured"
    assert "wrong-secret-token-value" not in response.text
    assert "wrong-secret-token-value" not in caplog.text


def test_the_intilery_key_never_appears_in_any_api_response(api, caplog):
    with caplog.at_level(logging.DEBUG):
        responses = [
            api.get(JOE, api.shop_token),
            api.get(JOE + "/summary", api.shop_token),
            api.get("/api/v1/profiles/userId:nobody", api.shop_token),
            api.get("/api/v1/openapi.json"),
        ]
    for response in responses:
        assert "sandbox-token" not in response.text
        assert "sandbox-token" not in str(response.headers)
    assert "sandbox-token" not in caplog.text
