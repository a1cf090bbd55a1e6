"""Fault injection by the X-Sandbox-Fault header and the SANDBOX_FAULT_* settings."""

import json
import time
import uuid

import pytest

from tests.sandbox.factories import api_fixture, assert_error, make_profile  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def joe():
    return make_profile(external_id="qrc-117322", first_name="Joe")


def traits(api, fault=None, headers=None, **kwargs):
    sent = {**(headers or {}), **({"X-Sandbox-Fault": fault} if fault is not None else {})}
    return api.profile("userId:qrc-117322", "traits", headers=sent, **kwargs)


def test_latency_delays_the_response(api, joe):
    started = time.monotonic()
    response = traits(api, "latency_ms=300")
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_jitter_adds_up_to_its_bound(api, joe):
    started = time.monotonic()
    assert traits(api, "latency_ms=100; jitter_ms=100").status_code == 200
    assert 0.1 <= time.monotonic() - started < 1.5


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_an_injected_server_error_has_the_chosen_status_and_a_json_body(
    api, joe, status
):  # PAPI-20
    response = traits(api, f"error_rate=1; error_status={status}")
    assert_error(response, status, "internal_server_error")


def test_an_injected_server_error_without_a_status_is_one_of_the_5xx(api, joe):  # PAPI-20
    statuses = {traits(api, "error_rate=1").status_code for _ in range(12)}
    assert statuses <= {500, 502, 503, 504}


def test_an_injected_429_carries_retry_after_1_by_default(api, joe):  # PAPI-7
    response = traits(api, "rate_limit_rate=1")
    assert_error(response, 429, "rate_limit_error")
    assert response.headers["Retry-After"] == "1"


def test_retry_after_can_be_set_or_left_out(api, joe):  # PAPI-7
    assert traits(api, "rate_limit_rate=1; retry_after=2").headers["Retry-After"] == "2"
    response = traits(api, "rate_limit_rate=1; retry_after=none")
    assert_error(response, 429, "rate_limit_error")
    assert "Retry-After" not in response.headers


def test_a_malformed_body_is_a_200_that_is_not_json(api, joe):
    response = traits(api, "malformed_rate=1")
    assert response.status_code == 200
    uuid.UUID(response.headers["x-amzn-RequestId"])
    assert response.text
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_a_slow_drip_streams_the_body_over_the_given_time(api, joe):
    started = time.monotonic()
    response = traits(api, "slow_drip_ms=800", stream=True)
    arrivals = []
    body = b""
    for chunk in response.iter_content(chunk_size=1):
        arrivals.append(time.monotonic())
        body += chunk
    assert response.status_code == 200
    assert json.loads(body)["firstName"] == "Joe"
    assert arrivals[-1] - started >= 0.8
    assert len(arrivals) >= 2 and arrivals[-1] - arrivals[0] >= 0.3


def test_a_rate_of_zero_injects_nothing(api, joe):
    assert traits(api, "error_rate=0; rate_limit_rate=0; malformed_rate=0").status_code == 200


@pytest.mark.parametrize(
    "fault",
    [
        "error_rate=2",
        "error_rate=often",
        "bogus=1",
        "latency_ms",
        "latency_ms=-5",
        "latency_ms=999999",
        "error_status=404",
        "retry_after=soon",
        "error_rate=",
    ],
)
def test_a_malformed_fault_header_is_an_invalid_request(api, joe, fault):
    message = assert_error(traits(api, fault), 400, "invalid_request_error")
    assert "X-Sandbox-Fault" in message


def test_settings_inject_faults_and_the_header_overrides_them(api, joe, settings):
    settings.SANDBOX_FAULT_ERROR_RATE = 1.0
    assert traits(api).status_code in {500, 502, 503, 504}
    assert traits(api, "error_rate=0").status_code == 200


def test_settings_can_make_every_body_malformed(api, joe, settings):
    settings.SANDBOX_FAULT_MALFORMED_RATE = 1.0
    with pytest.raises(json.JSONDecodeError):
        json.loads(traits(api).text)


def test_faults_come_after_authentication(api, joe):  # PAPI-6
    response = traits(api, "error_rate=1", headers={"auth-token": "wrong"})
    assert_error(response, 401, "authentication_error")


def test_an_injected_error_still_carries_a_request_id_on_every_path(api, joe):  # PAPI-9
    for endpoint in ("traits", "meta", "events", "external_ids"):
        response = api.profile(
            "userId:qrc-117322", endpoint, headers={"X-Sandbox-Fault": "error_rate=1"}
        )
        uuid.UUID(response.headers["x-amzn-RequestId"])


@pytest.mark.parametrize("value", ["²", "1" * 5001])
def test_retry_after_must_be_ascii_digits(api, joe, value):  # PAPI-19, PAPI-20
    # "²".isdigit() is True but int("²") fails; neither may become a 500.
    message = assert_error(traits(api, f"retry_after={value}"), 400, "invalid_request_error")
    assert "retry_after" in message
