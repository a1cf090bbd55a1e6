"""Readiness: can this instance serve? The database, the cache and the upstream, each timed.

Each check answers a ``Check`` and never raises; what a failed one says is an exception's kind
or the client's own message, never a URL, a host or a credential.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import caches
from django.db import connection

from profileviewer.client import ProfilesClient, RateLimitError
from profileviewer.client.config import ClientConfig
from profileviewer.client.errors import IntileryError
from profileviewer.client.retry import RetryPolicy

READY_KEY = "pv:readyz"
UPSTREAM_KEY = "pv:readyz:upstream"


@dataclass(frozen=True)
class Check:
    ready: bool
    latency_ms: float
    error: str = ""


def _timed(probe: Callable[[], str]) -> Check:
    """Run ``probe`` (it returns "" when ready, else what failed) and time it."""
    started = time.perf_counter()
    try:
        error = probe()
    except Exception as exc:
        error = type(exc).__name__
    return Check(not error, round((time.perf_counter() - started) * 1000, 1), error)


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return ""


def _cache() -> str:
    # A round trip, since a cache that ignores its errors (REDIS_URL's) answers a miss when down.
    written = uuid.uuid4().hex
    cache = caches["default"]
    cache.set(READY_KEY, written, 10)
    if cache.get(READY_KEY) != written:
        return "the cache did not keep what was written to it"
    return ""


def _upstream(budget: float) -> Callable[[], str]:
    def probe() -> str:
        config = dataclasses.replace(ClientConfig.from_settings(), call_budget=budget)
        client = ProfilesClient(config, retry_policy=RetryPolicy(max_attempts=1))
        try:
            client.list_profiles(size=1)
        except RateLimitError:
            return ""  # it answered, busy: taking this instance out would not help
        except IntileryError as error:
            return error.message
        return ""

    return probe


def _upstream_check(budget: float, every: float) -> Check:
    """The upstream's check, made at most once per `every` seconds across the instances that
    share the cache: /readyz needs no sign-in, and its calls come from the key's shared budget."""
    cache = caches["default"]
    if every > 0 and isinstance(last := cache.get(UPSTREAM_KEY), Check):
        return last
    check = _timed(_upstream(budget))
    if every > 0:
        cache.set(UPSTREAM_KEY, check, every)
    return check


def readiness(upstream_budget: float, upstream_every: float = 0) -> dict[str, Check]:
    """Every check, by name, in this order."""
    return {
        "database": _timed(_database),
        "cache": _timed(_cache),
        "upstream": _upstream_check(upstream_budget, upstream_every),
    }
