"""The shared bucket and cross-process coalescing, against the running Redis, with real
processes (TEST_REDIS_URL; each test uses keys of its own)."""

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from profileviewer.client import ProfileRef, ProfilesClient, RedisTokenBucket, TokenBucket
from profileviewer.client.cache import MISSING, ResponseCache, cache_key, drain_writes
from profileviewer.client.client import redis_client
from profileviewer.rediscache import ReusingRedisCache
from tests.client.conftest import make_config, ok, slow

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[2]
JOE = {"id": "4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe", "firstName": "Joe"}


@pytest.fixture
def bucket_key():
    """A bucket of this test's own, deleted afterwards (slow buckets live for hours)."""
    key = f"pv:test:bucket:{uuid.uuid4().hex}"
    yield key
    redis_client(settings.TEST_REDIS_URL).delete(key)


def run_processes(script: str, count: int, *args: str) -> list[dict]:
    """Start ``count`` Python processes at once and return each one's JSON output line."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    start_at = str(time.time() + 2.0)  # all processes begin work at the same moment
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(script), start_at, *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    return outputs


BUCKET_WORKER = """
import json, sys, time
import redis
from profileviewer.client.ratelimit import RedisTokenBucket

start_at, url, key, seconds = float(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
lease = int(sys.argv[5])
bucket = RedisTokenBucket(redis.Redis.from_url(url), key, rate=0.5, burst=200, lease=lease)
time.sleep(max(0, start_at - time.time()))
granted = tries = 0
ends = time.monotonic() + seconds
while time.monotonic() < ends:
    tries += 1
    granted += bucket.try_acquire() == 0
print(json.dumps({"granted": granted, "tries": tries}))
"""


@pytest.mark.parametrize("lease", [0, 4])
def test_two_processes_on_one_redis_bucket_never_exceed_the_burst_together(
    bucket_key, lease
):  # PAPI-7
    key = bucket_key
    seconds = 1.5
    results = run_processes(
        BUCKET_WORKER, 2, settings.TEST_REDIS_URL, key, str(seconds), str(lease)
    )
    granted = [r["granted"] for r in results]
    # burst 200, plus the refill of 0.5/s over the run (under one token)
    assert 200 <= sum(granted) <= 201
    assert min(granted) > 0, "both processes drew from the bucket at the same time"
    assert all(r["tries"] > 200 for r in results), "each alone could have emptied it"


def test_redis_bucket_refills_at_its_rate(bucket_key):
    key = bucket_key
    bucket = RedisTokenBucket(redis_client(settings.TEST_REDIS_URL), key, rate=20.0, burst=2)
    assert [bucket.try_acquire() for _ in range(2)] == [0, 0]
    wait = bucket.try_acquire()
    assert 0 < wait <= 0.05
    time.sleep(wait + 0.01)
    assert bucket.try_acquire() == 0


def test_redis_bucket_honours_a_reserve_for_a_partial_share(bucket_key):
    key = bucket_key
    bucket = RedisTokenBucket(redis_client(settings.TEST_REDIS_URL), key, rate=0.001, burst=10)
    assert sum(bucket.try_acquire(reserve=6) == 0 for _ in range(10)) == 4
    assert sum(bucket.try_acquire() == 0 for _ in range(10)) == 6


def test_redis_bucket_says_how_many_tokens_it_has_without_taking_one(bucket_key):  # PAPI-7
    redis = redis_client(settings.TEST_REDIS_URL)
    bucket = RedisTokenBucket(redis, bucket_key, rate=0.001, burst=10)
    assert bucket.available() == 10  # a bucket nobody used yet is full
    for _ in range(3):
        bucket.try_acquire()
    assert bucket.available() == pytest.approx(7, abs=0.01)
    assert bucket.available() == pytest.approx(7, abs=0.01)  # asking took nothing
    other = RedisTokenBucket(redis, bucket_key, rate=0.001, burst=10)
    assert other.available() == pytest.approx(7, abs=0.01)  # the same bucket, seen elsewhere


def script_calls() -> int:
    stats = redis_client(settings.TEST_REDIS_URL).info("commandstats")
    return sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("evalsha", "eval"))


def leasing(key: str, **kwargs) -> RedisTokenBucket:
    """A bucket on the running Redis that leases four tokens beside the one it needs."""
    return RedisTokenBucket(redis_client(settings.TEST_REDIS_URL), key, lease=4, **kwargs)


def test_a_leasing_bucket_spends_tokens_taken_from_redis_without_asking_again(
    bucket_key,
):  # PAPI-7
    bucket = leasing(bucket_key, rate=0.001, burst=100)
    before = script_calls()
    assert [bucket.try_acquire() for _ in range(5)] == [0] * 5
    assert script_calls() - before == 1  # one round trip for five tokens
    assert bucket.available() == pytest.approx(95, abs=0.01)  # all taken from the shared one
    assert bucket.try_acquire() == 0
    assert bucket.available() == pytest.approx(90, abs=0.01)


def test_a_bucket_less_than_half_full_leases_nothing(bucket_key):  # PAPI-7
    bucket = leasing(bucket_key, rate=0.001, burst=10)
    assert [bucket.try_acquire() for _ in range(5)] == [0] * 5  # one taken, four leased
    assert bucket.available() == pytest.approx(5, abs=0.01)
    for level in (4, 3, 2, 1, 0):  # now each token is its own round trip
        assert bucket.try_acquire() == 0
        assert bucket.available() == pytest.approx(level, abs=0.01)
    assert bucket.try_acquire() > 0


def test_leased_tokens_unspent_are_dropped_and_a_reserve_never_spends_them(bucket_key):
    bucket = leasing(bucket_key, rate=0.001, burst=100, lease_seconds=0.05)
    assert bucket.try_acquire() == 0  # four leased
    assert bucket.try_acquire(reserve=50) == 0  # a partial share asks Redis
    assert bucket.available() == pytest.approx(94, abs=0.01)
    time.sleep(0.1)
    assert bucket.try_acquire() == 0  # the lease lapsed: a new one
    assert bucket.available() == pytest.approx(89, abs=0.01)


def test_a_bucket_refills_only_to_its_burst_less_the_tokens_leased(bucket_key):  # PAPI-7
    # Leased tokens may be spent up to a lease later: a bucket that refilled to its full
    # burst meanwhile would let the processes together spend more than the burst at once.
    bucket = leasing(bucket_key, rate=1000.0, burst=10, lease_seconds=0.05)
    assert bucket.try_acquire() == 0  # one spent, four leased
    time.sleep(0.05)  # long enough to refill the whole burst
    assert bucket.available() == pytest.approx(6, abs=0.01)
    time.sleep(0.3)  # the lease lapsed (with the margin Redis keeps)
    assert bucket.available() == pytest.approx(10, abs=0.01)


def test_threads_leasing_at_once_keep_every_token_they_took(bucket_key):  # PAPI-7
    bucket = leasing(bucket_key, rate=0.001, burst=100)
    start = threading.Barrier(8)

    def take() -> None:
        start.wait()
        assert bucket.try_acquire() == 0

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    taken = 100 - bucket.available()
    assert taken - 8 == bucket._leased  # what was taken and not spent is still here to spend


def test_an_unreachable_redis_falls_back_to_a_local_bucket(caplog):
    bucket = RedisTokenBucket(redis_client("redis://127.0.0.1:1/0"), "k", rate=0.001, burst=2)
    assert [bucket.try_acquire() == 0 for _ in range(3)] == [True, True, False]
    assert "per-process bucket" in caplog.text
    assert bucket.available() == pytest.approx(0, abs=0.01)  # the local bucket's


def test_a_client_with_redis_uses_the_shared_bucket(hostile):
    hostile.will(ok(JOE))
    config = make_config(
        hostile.url,
        api_token=f"t-{uuid.uuid4().hex}",
        redis_url=settings.TEST_REDIS_URL,
        rate_limit=0.001,
        rate_burst=2,
        call_budget=0.3,
        cache_ttl=0,
    )
    first, second = ProfilesClient(config), ProfilesClient(config, limiter=None)
    first.traits(ProfileRef("userId", "a"))
    second.traits(ProfileRef("userId", "a"))
    key = f"pv:client:bucket:{config.key_fingerprint}"
    assert float(redis_client(settings.TEST_REDIS_URL).hget(key, "tokens")) < 1
    assert not isinstance(first._limiter, TokenBucket)
    redis_client(settings.TEST_REDIS_URL).delete(key)


COALESCE_WORKER = """
import json, sys, time
import django
from django.conf import settings
start_at, upstream, redis_url, token = sys.argv[1:5]
settings.configure(
    CACHES={"default": {"BACKEND": "profileviewer.rediscache.ReusingRedisCache",
                        "LOCATION": redis_url}},
    USE_TZ=True,
)
django.setup()
from profileviewer.client import ClientConfig, ProfileRef, ProfilesClient
client = ProfilesClient(ClientConfig(
    base_url=upstream, client_id="acme", account_id="main", brand_id="ACME",
    api_token=token, redis_url=redis_url, call_budget=3.0,
))
time.sleep(max(0, float(start_at) - time.time()))
[traits] = client.traits(ProfileRef("userId", "qrc-117322"))
print(json.dumps({"name": traits.first_name, "stats": client.stats()}))
"""


def test_processes_asking_at_once_share_one_upstream_call_through_redis(hostile):
    hostile.will(slow(0.3, ok(JOE)))
    results = run_processes(
        COALESCE_WORKER, 4, hostile.url, settings.TEST_REDIS_URL, f"t-{uuid.uuid4().hex}"
    )
    assert [r["name"] for r in results] == ["Joe"] * 4
    assert len(hostile.requests) == 1
    assert sum(r["stats"]["calls"] for r in results) == 1
    assert sum(r["stats"]["cache_hits"] for r in results) == 3


class GatedRedisCache(ReusingRedisCache):
    """The Redis cache, whose writes wait until the test opens the gate."""

    gate = threading.Event()

    def set(self, *args, **kwargs):
        assert self.gate.wait(10)
        return super().set(*args, **kwargs)


def test_with_redis_an_answer_is_stored_behind_the_caller_and_read_meanwhile(hostile):
    # Storing a page of events in Redis is a round trip on the request's path: the caller
    # goes on at once, this process reads the answer from memory until it lands, and the
    # fetch lock other processes wait under is released only once it has.
    hostile.will(ok(JOE))
    config = make_config(
        hostile.url, api_token=f"t-{uuid.uuid4().hex}", redis_url=settings.TEST_REDIS_URL
    )
    GatedRedisCache.gate.clear()
    cache = GatedRedisCache(settings.TEST_REDIS_URL, {})
    client = ProfilesClient(config, cache=cache)
    ref = ProfileRef("userId", "qrc-117322")
    try:
        assert client.traits(ref)[0].first_name == "Joe"  # while the write waits
        key = cache_key(
            f"{config.base_url}{config.tenant_path}/profiles/userId:qrc-117322/traits", None
        )
        shared = redis_client(settings.TEST_REDIS_URL)
        assert shared.get(f"{key}:lock") is not None  # still fetching, for other processes
        assert client.traits(ref)[0].first_name == "Joe"
        assert len(hostile.requests) == 1  # the second call read it from memory
        assert cache.get(key) is None
    finally:
        GatedRedisCache.gate.set()
        drain_writes()
    assert cache.get(key) is not None
    assert shared.get(f"{key}:lock") is None
    assert client.traits(ref)[0].first_name == "Joe"
    assert len(hostile.requests) == 1
    cache.delete(key)


@pytest.fixture
def stuck_writer():
    """A write-behind cache on the running Redis whose writes wait until the test ends, and
    a key of the test's own."""
    GatedRedisCache.gate.clear()
    backend = GatedRedisCache(settings.TEST_REDIS_URL, {})
    key = f"pv:test:answer:{uuid.uuid4().hex}"
    yield backend, ResponseCache(backend, write_behind=True), key
    GatedRedisCache.gate.set()
    drain_writes()
    backend.delete(key)


def test_a_newer_answer_for_a_key_still_waiting_lands_after_the_older_one(
    monkeypatch, stuck_writer
):
    # Even with the writer's queue full: stored at once, the newer answer would land first
    # and the older one, still queued, over it.
    monkeypatch.setattr("profileviewer.client.cache.MAX_PENDING", 1)
    backend, cache, key = stuck_writer
    cache.set(key, b'"older"', 30)
    cache.set(key, b'"newer"', 30)  # goes behind it, not around it
    assert cache.get(key) == b'"newer"'
    GatedRedisCache.gate.set()
    drain_writes()
    assert backend.get(key) == b'"newer"'


def test_an_answer_waiting_on_a_stuck_writer_still_expires(stuck_writer):
    _, cache, key = stuck_writer
    cache.set(key, b'"kept a second"', 1)
    assert cache.get(key) == b'"kept a second"'
    time.sleep(1.05)
    assert cache.get(key) is MISSING  # not served past its time, landed or not
