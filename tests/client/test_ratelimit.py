"""The token buckets every rate limit uses (``profileviewer/ratelimit.py``): the client's per
API key (PAPI-7), the API's per service key, the sandbox's per token. In this process, and in
Redis (TEST_REDIS_URL, db 15) shared by every process."""

from __future__ import annotations

import logging
import threading
import time
import uuid

import pytest
import redis
from django.conf import settings

from profileviewer.ratelimit import (
    LocalBuckets,
    RedisBuckets,
    forget_redis_buckets,
    redis_buckets,
    retry_after_header,
    usable,
)

UNREACHABLE = "redis://127.0.0.1:9/0"


# --- in this process ---------------------------------------------------------------------------
def test_a_bucket_hands_out_its_burst_then_says_how_long_to_wait():  # PAPI-7
    buckets = LocalBuckets()
    assert [buckets.take("k", rate=2, burst=3, now=100.0) for _ in range(3)] == [0, 0, 0]
    assert buckets.take("k", rate=2, burst=3, now=100.0) == pytest.approx(0.5)
    assert buckets.take("k", rate=2, burst=3, now=100.25) == pytest.approx(0.25)


def test_a_bucket_refills_at_its_rate_up_to_its_burst():
    buckets = LocalBuckets()
    for _ in range(3):
        buckets.take("k", rate=2, burst=3, now=0.0)
    assert buckets.take("k", rate=2, burst=3, now=0.5) == 0  # one token back after 1/rate
    assert buckets.take("k", rate=2, burst=3, now=0.5) > 0
    # An hour idle fills it to the burst, no further.
    taken = [buckets.take("k", rate=2, burst=3, now=3600.0) for _ in range(4)]
    assert taken[:3] == [0, 0, 0]
    assert taken[3] > 0


def test_a_reserve_leaves_that_many_tokens_to_other_callers():  # PAPI-7: the export's share
    buckets = LocalBuckets()
    by_export = [buckets.take("k", rate=1, burst=10, reserve=6, now=0.0) for _ in range(10)]
    assert sum(wait == 0 for wait in by_export) == 4
    assert by_export[-1] == pytest.approx(1.0)  # until one more token is above the reserve
    by_agents = [buckets.take("k", rate=1, burst=10, now=0.0) for _ in range(10)]
    assert sum(wait == 0 for wait in by_agents) == 6


def test_buckets_of_different_names_are_apart():
    buckets = LocalBuckets()
    assert buckets.take("a", rate=1, burst=1, now=0.0) == 0
    assert buckets.take("a", rate=1, burst=1, now=0.0) > 0
    assert buckets.take("b", rate=1, burst=1, now=0.0) == 0


def test_clear_fills_every_bucket_again():
    buckets = LocalBuckets()
    buckets.take("k", rate=0.001, burst=1)
    buckets.clear()
    assert buckets.take("k", rate=0.001, burst=1) == 0


def test_threads_taking_at_once_never_take_more_than_the_burst():
    buckets = LocalBuckets()
    start = threading.Barrier(8)
    granted = []

    def take() -> None:
        start.wait()
        granted.extend(buckets.take("k", rate=0.001, burst=50) == 0 for _ in range(20))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == 50


@pytest.mark.parametrize(
    ("rate", "burst", "ok"),
    [
        (1, 1, True),
        (0.5, 3, True),
        (0, 5, False),
        (-1, 5, False),
        (float("nan"), 5, False),
        (float("inf"), 5, False),
        (5, 0, False),
        (5, 0.5, False),
    ],
)
def test_a_bucket_that_could_never_hand_out_a_token_is_not_usable(rate, burst, ok):
    assert usable(rate, burst) is ok


@pytest.mark.parametrize(("seconds", "header"), [(0, "1"), (0.01, "1"), (1.0, "1"), (1.2, "2")])
def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one(seconds, header):
    assert retry_after_header(seconds) == header


# --- in Redis ----------------------------------------------------------------------------------
@pytest.fixture
def prefix():
    """Bucket keys of this test's own, deleted afterwards (slow buckets live for hours)."""
    prefix = f"pv:test:bucket:{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(settings.TEST_REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture
def shared():
    """A new connection to the test Redis for each call: each one as another process's."""
    clients: list[redis.Redis] = []

    def connect() -> redis.Redis:
        clients.append(redis.Redis.from_url(settings.TEST_REDIS_URL))
        return clients[-1]

    yield connect
    for client in clients:
        client.close()


@pytest.mark.redis
def test_a_redis_bucket_is_shared_by_every_instance_on_that_redis(prefix, shared):  # PAPI-7
    one, other = RedisBuckets(shared(), prefix), RedisBuckets(shared(), prefix)
    assert one.take("k", rate=0.001, burst=3) == 0
    assert other.take("k", rate=0.001, burst=3) == 0
    assert one.take("k", rate=0.001, burst=3) == 0
    assert other.take("k", rate=0.001, burst=3) > 0  # the third token was the last
    assert one.take("k", rate=0.001, burst=3) > 0
    assert RedisBuckets(shared(), f"{prefix}elsewhere:").take("k", rate=0.001, burst=3) == 0


@pytest.mark.redis
def test_a_redis_bucket_says_how_long_to_wait_and_refills_at_its_rate(prefix, shared):
    buckets = RedisBuckets(shared(), prefix)
    assert [buckets.take("k", rate=20.0, burst=2) for _ in range(2)] == [0, 0]
    wait = buckets.take("k", rate=20.0, burst=2)
    assert 0 < wait <= 0.05
    time.sleep(wait + 0.01)  # the wait the bucket gave: a token is there after it
    assert buckets.take("k", rate=20.0, burst=2) == 0


@pytest.mark.redis
def test_a_redis_bucket_honours_a_reserve(prefix, shared):  # PAPI-7: the export's share
    buckets = RedisBuckets(shared(), prefix)
    assert sum(buckets.take("k", rate=0.001, burst=10, reserve=6) == 0 for _ in range(10)) == 4
    assert sum(buckets.take("k", rate=0.001, burst=10) == 0 for _ in range(10)) == 6


def test_an_unreachable_redis_limits_in_this_process_and_says_so(caplog):
    client = redis.Redis.from_url(UNREACHABLE, socket_connect_timeout=0.5, socket_timeout=0.5)
    buckets = RedisBuckets(client, "pv:test:bucket:")
    with caplog.at_level(logging.WARNING, logger="profileviewer.ratelimit"):
        taken = [buckets.take("k", rate=0.001, burst=2) for _ in range(3)]
    assert [wait == 0 for wait in taken] == [True, True, False]
    [warning] = [r for r in caplog.records if r.name == "profileviewer.ratelimit"]  # once
    assert "limiting in this process" in warning.getMessage()


@pytest.mark.redis
def test_redis_buckets_are_one_per_url_and_prefix_until_forgotten(prefix):
    forget_redis_buckets()
    try:
        first = redis_buckets(settings.TEST_REDIS_URL, prefix)
        assert redis_buckets(settings.TEST_REDIS_URL, prefix) is first
        assert redis_buckets(settings.TEST_REDIS_URL, prefix + "x:") is not first
        assert first.take("k", rate=0.001, burst=1) == 0
        forget_redis_buckets()  # as a new process would start: the bucket is still in Redis
        again = redis_buckets(settings.TEST_REDIS_URL, prefix)
        assert again is not first
        assert again.take("k", rate=0.001, burst=1) > 0
    finally:
        forget_redis_buckets()
