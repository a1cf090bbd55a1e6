"""The per-key bucket: in-process by default, in Redis (shared by every process) when configured."""

import uuid

import pytest
from django.conf import settings as django_settings

from profileviewer.api import ratelimit


@pytest.fixture(autouse=True)
def _fresh_buckets():
    ratelimit.reset()
    yield
    ratelimit.reset()


def test_a_bucket_allows_its_burst_then_says_how_long_to_wait():
    name = f"key:{uuid.uuid4()}"
    decisions = [ratelimit.take(name, rate=2, burst=3) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert 0 < decisions[-1].retry_after <= 0.5
    assert ratelimit.retry_after_header(decisions[-1].retry_after) == "1"


@pytest.mark.redis
def test_with_redis_every_process_draws_from_one_bucket(settings):
    settings.REDIS_URL = django_settings.TEST_REDIS_URL
    name = f"key:{uuid.uuid4()}"
    assert all(ratelimit.take(name, rate=0.1, burst=2).allowed for _ in range(2))
    ratelimit.reset()  # no local bucket and a new connection, as another worker process has
    refused = ratelimit.take(name, rate=0.1, burst=2)
    assert not refused.allowed
    assert 0 < refused.retry_after <= 10  # one token every 10 s


def test_an_unreachable_redis_falls_back_to_limiting_in_this_process(settings):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"
    name = f"key:{uuid.uuid4()}"
    assert ratelimit.take(name, rate=0.1, burst=1).allowed
    assert not ratelimit.take(name, rate=0.1, burst=1).allowed


@pytest.mark.parametrize(
    ("rate", "burst"),
    [(0, 5), (0.0, 1), (-1, 5), (float("nan"), 5), (float("inf"), 5), (5, 0), (5, -1)],
)
def test_a_bucket_that_can_never_refill_refuses_without_dividing_by_zero(rate, burst):
    name = f"key:{uuid.uuid4()}"
    for _ in range(3):
        decision = ratelimit.take(name, rate=rate, burst=burst)
        assert not decision.allowed
        assert decision.retry_after == ratelimit.UNUSABLE_RETRY_AFTER
    assert ratelimit.retry_after_header(decision.retry_after) == "3600"


@pytest.mark.redis
def test_with_redis_a_bucket_that_can_never_refill_refuses_too(settings):
    settings.REDIS_URL = django_settings.TEST_REDIS_URL
    decision = ratelimit.take(f"key:{uuid.uuid4()}", rate=0, burst=5)
    assert not decision.allowed and decision.retry_after == ratelimit.UNUSABLE_RETRY_AFTER
