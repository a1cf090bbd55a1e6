"""What is only kept to save work survives a cache outage (profileviewer/sharedcache.py)."""

import logging

from django.core.cache import cache
from django.test import override_settings

from profileviewer.sharedcache import TolerantCache

DOWN = {
    "default": {
        "BACKEND": "profileviewer.rediscache.ReusingRedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
    }
}


def test_with_the_cache_up_it_is_the_default_cache() -> None:
    store = TolerantCache("Test")
    store.write("k", {"a": 1}, 30)
    assert cache.get("k") == {"a": 1} == store.read("k")
    assert store.add("k", 2, 30) is False and store.add("new", 2, 30) is True
    assert store.drop("k") is True and store.read("k") is None
    store.write("zero", 1, 0)  # nothing kept for no time
    assert cache.get("zero") is None


def test_an_outage_is_a_miss_and_a_skipped_write_each_logged_with_its_owner(caplog) -> None:
    store = TolerantCache("Test")
    with override_settings(CACHES=DOWN), caplog.at_level(logging.WARNING):
        assert store.read("k") is None
        store.write("k", 1, 30)
        assert store.add("k", 1, 30) is False
        assert store.drop("k") is False
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "Test cache read failed (ConnectionError)",
        "Test cache write failed (ConnectionError)",
        "Test cache write failed (ConnectionError)",
        "Test cache delete failed (ConnectionError)",
    ]
