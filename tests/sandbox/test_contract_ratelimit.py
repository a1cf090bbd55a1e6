"""The token bucket per API token: 100/s, burst 500, 429 with Retry-After (PAPI-7)."""

import threading

import pytest

from profileviewer.sandbox import ratelimit
from tests.sandbox.factories import api_fixture, assert_error, make_profile  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def joe():
    return make_profile(external_id="qrc-117322")


def test_requests_past_the_burst_get_429_with_retry_after(api, joe, settings):  # PAPI-7
    settings.SANDBOX_RATE_BURST = 5
    settings.SANDBOX_RATE_LIMIT = 0.2  # one token every 5 s
    statuses = [api.profile("userId:qrc-117322", "traits").status_code for _ in range(5)]
    assert statuses == [200] * 5
    response = api.profile("userId:qrc-117322", "traits")
    message = assert_error(response, 429, "rate_limit_error")
    assert "per second" in message
    assert 4 <= int(response.headers["Retry-After"]) <= 5


def test_the_bucket_refills_at_the_configured_rate(api, joe, settings):  # PAPI-7
    settings.SANDBOX_RATE_BURST = 2
    settings.SANDBOX_RATE_LIMIT = 20
    for _ in range(2):
        api.profile("userId:qrc-117322", "traits")
    limited = api.profile("userId:qrc-117322", "traits")
    if limited.status_code == 429:
        assert limited.headers["Retry-After"] == "1"
    threading.Event().wait(0.2)  # 4 tokens' worth
    assert api.profile("userId:qrc-117322", "traits").status_code == 200


def test_rejected_credentials_do_not_spend_the_bucket(api, joe, settings):  # PAPI-6, PAPI-7
    settings.SANDBOX_RATE_BURST = 3
    settings.SANDBOX_RATE_LIMIT = 0.1
    for _ in range(5):
        api.profile("userId:qrc-117322", "traits", headers={"auth-token": "wrong"})
    statuses = [api.profile("userId:qrc-117322", "traits").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_the_limit_can_be_switched_off(api, joe, settings):  # PAPI-7
    settings.SANDBOX_RATE_LIMIT_ENABLED = False
    settings.SANDBOX_RATE_BURST = 1
    settings.SANDBOX_RATE_LIMIT = 0.1
    statuses = {api.profile("userId:qrc-117322", "traits").status_code for _ in range(5)}
    assert statuses == {200}


def test_the_default_bucket_allows_a_burst_of_500_then_100_per_second():  # PAPI-7
    allowed = [ratelimit.acquire("sandbox-token", now=1000.0) for _ in range(500)]
    assert allowed == [None] * 500
    assert ratelimit.acquire("sandbox-token", now=1000.0) == pytest.approx(0.01)
    assert ratelimit.acquire("sandbox-token", now=1000.011) is None
    assert ratelimit.acquire("sandbox-token", now=1000.011) is not None


def test_each_api_token_has_its_own_bucket(settings):  # PAPI-7
    settings.SANDBOX_RATE_BURST = 1
    assert ratelimit.acquire("key-a", now=5.0) is None
    assert ratelimit.acquire("key-a", now=5.0) is not None
    assert ratelimit.acquire("key-b", now=5.0) is None


def test_concurrent_requests_never_overspend_the_bucket(settings):  # PAPI-7
    settings.SANDBOX_RATE_BURST = 50
    settings.SANDBOX_RATE_LIMIT = 0.001
    granted = []
    lock = threading.Lock()

    def worker():
        for _ in range(25):
            if ratelimit.acquire("shared") is None:
                with lock:
                    granted.append(1)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 50


def test_retry_after_is_whole_seconds_rounded_up():
    assert ratelimit.retry_after_header(0.01) == "1"
    assert ratelimit.retry_after_header(1.2) == "2"
    assert ratelimit.retry_after_header(5.0) == "5"


def test_the_bucket_never_holds_the_token_itself():
    ratelimit.acquire("sandbox-token")
    state = ratelimit._buckets._state  # what a debugger or a repr of the buckets would show
    assert len(state) == 1
    assert "sandbox-token" not in repr(state)
