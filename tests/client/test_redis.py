"""The client's shared bucket and cross-process coalescing, against the running Redis, with
real processes (TEST_REDIS_URL; each test uses keys of its own)."""

import json
import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings

from profileviewer.client import ProfileRef, ProfilesClient, RateLimitError, reset_client_state
from profileviewer.client.cache import ResponseCache, cache_key
from profileviewer.client.client import redis_client
from tests.client.conftest import make_config, ok, slow

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parents[2]
JOE = {"id": "4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe", "firstName": "Joe"}
REF = ProfileRef("userId", "qrc-117322")


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
from profileviewer.ratelimit import RedisBuckets

start_at, url, prefix, seconds = float(sys.argv[1]), sys.argv[2], sys.argv[3], float(sys.argv[4])
buckets = RedisBuckets(redis.Redis.from_url(url), prefix)
time.sleep(max(0, start_at - time.time()))
granted = tries = 0
ends = time.monotonic() + seconds
while time.monotonic() < ends:
    tries += 1
    granted += buckets.take("api-key", rate=0.5, burst=200) == 0
print(json.dumps({"granted": granted, "tries": tries}))
"""


def test_two_processes_on_one_redis_bucket_never_exceed_the_burst_together():  # PAPI-7
    prefix = f"pv:test:bucket:{uuid.uuid4().hex}:"
    seconds = 1.5
    try:
        results = run_processes(BUCKET_WORKER, 2, settings.TEST_REDIS_URL, prefix, str(seconds))
    finally:
        redis_client(settings.TEST_REDIS_URL).delete(prefix + "api-key")
    granted = [r["granted"] for r in results]
    # burst 200, plus the refill of 0.5/s over the run (under one token)
    assert 200 <= sum(granted) <= 201
    assert min(granted) > 0, "both processes drew from the bucket at the same time"
    assert all(r["tries"] > 200 for r in results), "each alone could have emptied it"


def test_clients_with_redis_share_one_bucket_across_processes(hostile):  # PAPI-7
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
    key = f"pv:client:bucket:{config.key_fingerprint}"
    try:
        ProfilesClient(config).traits(REF)
        reset_client_state()  # what another process would start with: no local state
        ProfilesClient(config).traits(REF)
        reset_client_state()
        with pytest.raises(RateLimitError) as caught:
            ProfilesClient(config).traits(REF)
        assert caught.value.code == "client_rate_limit"
        assert len(hostile.requests) == 2
    finally:
        redis_client(settings.TEST_REDIS_URL).delete(key)


COALESCE_WORKER = """
import json, sys, time
import django
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings
start_at, upstream, redis_url, token = sys.argv[1:5]
settings.configure(
    CACHES={"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_url,
                        "OPTIONS": {"IGNORE_EXCEPTIONS": True}}},
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


def test_with_redis_an_answer_is_stored_and_the_lock_freed_when_the_call_returns(hostile):
    # Another process waiting under the fetch lock must find the answer in the shared cache.
    hostile.will(ok(JOE))
    config = make_config(
        hostile.url, api_token=f"t-{uuid.uuid4().hex}", redis_url=settings.TEST_REDIS_URL
    )
    key = cache_key(
        f"{config.base_url}{config.tenant_path}/profiles/userId:qrc-117322/traits", None
    )
    shared_cache = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": settings.TEST_REDIS_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True},
        }
    }
    with override_settings(CACHES=shared_cache):
        try:
            assert ProfilesClient(config).traits(REF)[0].first_name == "Joe"
            assert ResponseCache().get(key).content == json.dumps(JOE).encode()
            assert redis_client(settings.TEST_REDIS_URL).get(f"{key}:lock") is None
            reset_client_state()  # another process: nothing in this one's memory
            assert ProfilesClient(config).traits(REF)[0].first_name == "Joe"
            assert len(hostile.requests) == 1
        finally:
            caches["default"].delete(key)
