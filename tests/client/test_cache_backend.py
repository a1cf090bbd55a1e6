"""The client's cache with the production Redis settings (REDIS_URL), against the real Redis
(db 15), and when Redis is down."""

from __future__ import annotations

import runpy
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from profileviewer.client import ProfileRef, ProfilesClient
from profileviewer.client.cache import MISSING, Kept, ResponseCache
from profileviewer.ratelimit import LocalBuckets
from tests.client.conftest import make_config, ok

SETTINGS_FILE = Path(__file__).resolve().parents[2] / "profileviewer" / "settings.py"
JOE = {"id": "4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe", "firstName": "Joe"}
REF = ProfileRef("userId", "qrc-117322")


def production_caches(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """CACHES as the production settings build it for this REDIS_URL, with a key prefix of
    the test's own."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    caches: dict[str, Any] = runpy.run_path(str(SETTINGS_FILE))["CACHES"]
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    return caches


@pytest.mark.redis
def test_with_redis_answers_are_kept_as_bytes_and_seen_from_other_threads(monkeypatch) -> None:
    with override_settings(CACHES=production_caches(settings.TEST_REDIS_URL, monkeypatch)):
        ResponseCache().set("k", b'{"v": 1}', 1765000000.5, 30)
        values = []

        def read() -> None:
            values.append(ResponseCache().get("k"))

        threads = [threading.Thread(target=read) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert values == [Kept(b'{"v": 1}', 1765000000.5)] * 8
        ResponseCache().backend.delete("k")
        assert ResponseCache().get("k") is MISSING


@pytest.mark.redis
def test_overriding_the_caches_setting_moves_the_client_cache(monkeypatch) -> None:
    ResponseCache().set("k", b'"local"', 1.0, 30)
    with override_settings(CACHES=production_caches(settings.TEST_REDIS_URL, monkeypatch)):
        assert ResponseCache().get("k") is MISSING
        ResponseCache().set("k", b'"redis"', 1.0, 30)
        assert ResponseCache().get("k").content == b'"redis"'
        ResponseCache().backend.delete("k")
    assert ResponseCache().get("k").content == b'"local"'


def test_a_redis_outage_reads_as_a_miss_and_the_call_still_answers(hostile, monkeypatch) -> None:
    # Redis down costs speed, not pages: every look-up goes upstream, none fails.
    hostile.will(ok(JOE))
    with override_settings(CACHES=production_caches("redis://127.0.0.1:9/0", monkeypatch)):
        client = ProfilesClient(make_config(hostile.url), buckets=LocalBuckets())
        assert client.traits(REF)[0].first_name == "Joe"
        assert client.traits(REF)[0].first_name == "Joe"
        assert ResponseCache().get("pv:client:v3:absent") is MISSING
    assert len(hostile.requests) == 2
