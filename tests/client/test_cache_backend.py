"""The Redis cache backend and the process-wide default cache, against the real Redis (db 15)."""

from __future__ import annotations

import threading
import uuid

from django.conf import settings
from django.test import override_settings

from profileviewer.client.cache import ResponseCache, default_cache
from profileviewer.rediscache import ReusingRedisCache


def redis_caches() -> dict[str, dict[str, object]]:
    return {
        "default": {
            "BACKEND": "profileviewer.rediscache.ReusingRedisCache",
            "LOCATION": settings.TEST_REDIS_URL,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        }
    }


def test_the_backend_stores_reads_counts_and_forgets_through_one_client() -> None:
    cache = ReusingRedisCache(settings.TEST_REDIS_URL, {"KEY_PREFIX": f"t-{uuid.uuid4().hex}"})
    cache.set("answer", {"events": [1, 2, 3]}, 30)
    assert cache.get("answer") == {"events": [1, 2, 3]}
    assert cache.add("answer", "other", 30) is False
    cache.set("hits", 1, 30)
    assert cache.incr("hits", 2) == 3
    assert cache.get_many(["answer", "hits", "absent"]) == {
        "answer": {"events": [1, 2, 3]},
        "hits": 3,
    }
    cache.delete("answer")
    assert cache.get("answer", "gone") == "gone"
    assert cache._cache.get_client() is cache._cache.get_client(write=True)
    cache.delete("hits")


def test_reads_from_new_threads_share_the_process_cache_and_see_its_writes() -> None:
    with override_settings(CACHES=redis_caches()):
        ResponseCache().set("k", b'"v"', 30)
        backends, values = [], []

        def read() -> None:
            response_cache = ResponseCache()
            backends.append(id(response_cache.backend))
            values.append(response_cache.get("k"))

        threads = [threading.Thread(target=read) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert values == [b'"v"'] * 8
        assert set(backends) == {id(default_cache())}
        default_cache().delete("k")


def test_overriding_the_caches_setting_gives_a_new_default_cache() -> None:
    before = default_cache()
    with override_settings(CACHES=redis_caches()):
        inside = default_cache()
        assert isinstance(inside, ReusingRedisCache)
        assert inside is not before
    assert default_cache() is not inside
