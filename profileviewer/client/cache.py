"""Caching and coalescing of upstream reads.

- ``ResponseCache``: the JSON answers of traits, meta, event pages and external ids in
  Django's cache (local memory, or Redis when ``REDIS_URL`` is set) for ``INTILERY_CACHE_TTL``
  seconds, kept as the bytes the API sent, with when they expire, and read again on a hit
  (what is built from them may be kept as long as they are). Errors are never cached,
  404s included: an agent looking up a customer who signed up a moment ago must see them on
  the next try. A cache that fails is logged and skipped.
- ``SingleFlight``: concurrent identical requests in one process share one upstream call.
- ``RedisLock``: across processes, a short ``SET NX PX`` lock lets one process fetch while
  the others wait briefly for the cache to fill.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import redis
from django.core.cache import BaseCache, caches

from profileviewer.client.errors import IntileryError, UnavailableError

logger = logging.getLogger("profileviewer.client")

MISSING = object()
KEY_PREFIX = "pv:client:v3:"


def cache_key(url: str, params: Mapping[str, str] | None) -> str:
    """A key for the full request: the URL (base, tenant, path) and the sorted query."""
    query = "&".join(f"{name}={value}" for name, value in sorted((params or {}).items()))
    digest = hashlib.sha256(f"{url}?{query}".encode()).hexdigest()
    return KEY_PREFIX + digest


class Kept(NamedTuple):
    content: bytes
    expires_at: float  # time.time() when it leaves the cache, as its writer set it


class ResponseCache:
    """Answers kept as the bytes the API sent (a hit reads them again, as a fetch would)."""

    def __init__(self, cache: BaseCache | None = None) -> None:
        # None: the default cache, looked up per call so override_settings(CACHES=...) works.
        self._cache = cache

    @property
    def backend(self) -> BaseCache:
        return self._cache if self._cache is not None else caches["default"]

    def get(self, key: str) -> Kept | Any:
        """The answer kept under ``key``, or ``MISSING``."""
        try:
            value = self.backend.get(key, MISSING)
        except Exception as exc:  # a cache outage must not fail the call: fetch instead
            logger.warning("Client cache read failed (%s)", type(exc).__name__)
            return MISSING
        match value:
            case (bytes() as content, float() as expires_at):
                return Kept(content, expires_at)
        return MISSING

    def set(self, key: str, content: bytes, expires_at: float, ttl: int) -> None:
        if ttl <= 0:
            return
        try:
            # A plain tuple: what another release reads back needs no class of ours.
            self.backend.set(key, (content, expires_at), ttl)
        except Exception as exc:  # as above: the answer is still good without the cache
            logger.warning("Client cache write failed (%s)", type(exc).__name__)


class _Flight:
    __slots__ = ("done", "error", "result")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None


class SingleFlight:
    """Run ``fn`` once per key at a time; callers arriving meanwhile get its outcome."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flights: dict[str, _Flight] = {}

    def do[T](self, key: str, fn: Callable[[], T], *, wait: float) -> tuple[T, bool]:
        """``(result, shared)``: shared is True when another caller's call answered."""
        with self._lock:
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if leader:
            try:
                flight.result = fn()
            except BaseException as exc:
                flight.error = exc
                raise
            finally:
                with self._lock:
                    self._flights.pop(key, None)
                flight.done.set()
            return flight.result, False
        if not flight.done.wait(max(0.0, wait)):
            raise UnavailableError("The Profiles API did not answer in time.")
        if flight.error is not None:
            if isinstance(flight.error, IntileryError):
                # A copy per waiter: one exception object raised in many threads would
                # collect all their tracebacks.
                raise copy.copy(flight.error)
            raise UnavailableError("The Profiles API call failed.")
        result: T = flight.result
        return result, True

    def clear(self) -> None:
        with self._lock:
            self._flights.clear()


_RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisLock:
    """A short lock per cache key so one process fetches while the others wait for it."""

    def __init__(self, client: redis.Redis, *, ttl_ms: int = 5000) -> None:
        self._client = client
        self.ttl_ms = ttl_ms
        self._release = client.register_script(_RELEASE_SCRIPT)

    def acquire(self, key: str) -> str | None:
        """A token when this process holds the lock, None when another does.

        When Redis fails we return a token anyway: fetching without coalescing is better
        than not fetching.
        """
        token = uuid.uuid4().hex
        try:
            if self._client.set(f"{key}:lock", token, nx=True, px=self.ttl_ms):
                return token
            return None
        except redis.RedisError as exc:
            logger.warning("Client fetch lock unavailable (%s)", type(exc).__name__)
            return token

    def release(self, key: str, token: str) -> None:
        try:
            self._release(keys=[f"{key}:lock"], args=[token])
        except redis.RedisError as exc:  # the lock expires on its own
            logger.warning("Client fetch lock release failed (%s)", type(exc).__name__)


def wait_for_cache(cache: ResponseCache, key: str, *, until: float, poll: float = 0.01) -> Any:
    """Poll the cache until ``until`` for a value another process is fetching."""
    while time.monotonic() < until:
        time.sleep(poll)
        value = cache.get(key)
        if value is not MISSING:
            return value
    return MISSING
