"""Caching and coalescing of upstream reads.

- ``ResponseCache``: the JSON answers of traits, meta, event pages and external ids in
  Django's cache (local memory, or Redis when ``REDIS_URL`` is set) for ``INTILERY_CACHE_TTL``
  seconds, kept as the bytes the API sent and read again on a hit. Errors are never cached,
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
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import redis
from django.core.cache import BaseCache, caches
from django.core.signals import setting_changed

from profileviewer.client.errors import IntileryError, UnavailableError

logger = logging.getLogger("profileviewer.client")

MISSING = object()
# v2: the answer's bytes (v1 held the parsed JSON).
KEY_PREFIX = "pv:client:v2:"


def cache_key(url: str, params: Mapping[str, str] | None) -> str:
    """A key for the full request: the URL (base, tenant, path) and the sorted query."""
    query = "&".join(f"{name}={value}" for name, value in sorted((params or {}).items()))
    digest = hashlib.sha256(f"{url}?{query}".encode()).hexdigest()
    return KEY_PREFIX + digest


# One instance of the default cache for the whole process. Django's ``caches["default"]`` is
# per thread, and the viewer and the insights fetch pages on short-lived pool threads: each
# new thread built its own Redis connection pool, so every cached read paid a new connection
# (and redis-py's version look-up on disk), ~3 ms a panel. Django's cache backends are
# thread-safe; tests that override CACHES get a new instance through ``setting_changed``.
_default_cache: BaseCache | None = None
_default_cache_lock = threading.Lock()


def default_cache() -> BaseCache:
    global _default_cache
    with _default_cache_lock:
        if _default_cache is None:
            _default_cache = caches.create_connection("default")
        return _default_cache


def _forget_default_cache(*, setting: str, **kwargs: Any) -> None:
    global _default_cache
    if setting == "CACHES":
        with _default_cache_lock:
            _default_cache = None


setting_changed.connect(_forget_default_cache)


# Answers handed to the writer and not yet in the shared cache, by (backend, key), with when
# they expire: a read in this process finds them here meanwhile.
_pending: dict[tuple[int, str], tuple[bytes, float]] = {}
_pending_lock = threading.Lock()
# One thread, so writes of one key land in the order they were made.
_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pv-cache-write")
# Past this many answers waiting (a cache that stopped answering), callers store their own.
MAX_PENDING = 256


class ResponseCache:
    """``write_behind``: an answer is stored by a background thread, not by the caller, which
    goes on at once. For a cache over the network (Redis), where storing a page of events
    was a round trip of ~0.3 ms on the request's path; this process reads it from memory
    until it lands, and other processes wait for it under the fetch lock, released only
    once it has landed (``then``)."""

    def __init__(self, cache: BaseCache | None = None, *, write_behind: bool = False) -> None:
        # None: the process's default cache, looked up per call so override_settings(CACHES=...)
        # in tests takes effect.
        self._cache = cache
        self.write_behind = write_behind

    @property
    def backend(self) -> BaseCache:
        return self._cache if self._cache is not None else default_cache()

    def get(self, key: str) -> Any:
        """The bytes of the answer kept under ``key``, or ``MISSING``; the caller reads them."""
        backend = self.backend
        if _pending:
            with _pending_lock:
                pending = _pending.get((id(backend), key))
            # A writer stuck on a cache that stopped answering: its answers still expire.
            if pending is not None and time.monotonic() < pending[1]:
                return pending[0]
        try:
            content = backend.get(key, MISSING)
        except Exception as exc:  # a cache outage must not fail the call: fetch instead
            logger.warning("Client cache read failed (%s)", type(exc).__name__)
            return MISSING
        return content if isinstance(content, bytes) else MISSING

    def set(
        self, key: str, content: bytes, ttl: int, *, then: Callable[[], None] | None = None
    ) -> None:
        """Keep an answer as the bytes the API sent: storing them costs nothing, where
        pickling a parsed 100-event page cost ~0.2 ms, and a hit reads them again in about
        the time unpickling took. ``then`` runs once it is stored (or failed to be)."""
        if ttl <= 0:
            if then is not None:
                then()
            return
        backend = self.backend
        if not self.write_behind:
            _store(backend, key, content, ttl, then)
            return
        slot = (id(backend), key)
        with _pending_lock:
            # An answer for a key already waiting goes behind it, full or not: stored here,
            # it would land first and the older one, still queued, over it.
            behind = len(_pending) < MAX_PENDING or slot in _pending
            if behind:
                _pending[slot] = (content, time.monotonic() + ttl)
        if not behind:
            _store(backend, key, content, ttl, then)
            return
        try:
            _writer.submit(_store, backend, key, content, ttl, then, slot)
        except RuntimeError:  # the interpreter is shutting down: store it here
            _store(backend, key, content, ttl, then, slot)


def _store(
    backend: BaseCache,
    key: str,
    content: bytes,
    ttl: int,
    then: Callable[[], None] | None,
    slot: tuple[int, str] | None = None,
) -> None:
    try:
        backend.set(key, content, ttl)
    except Exception as exc:  # as above: the answer is still good without the cache
        logger.warning("Client cache write failed (%s)", type(exc).__name__)
    finally:
        if slot is not None:
            with _pending_lock:
                pending = _pending.get(slot)
                if pending is not None and pending[0] is content:
                    del _pending[slot]
        if then is not None:
            try:
                then()
            except Exception:  # on the writer's thread, nobody else would hear of it
                logger.exception("Client cache: what follows a write failed")


def drain_writes() -> None:
    """Wait until every answer handed to the writer has landed (tests, benchmarks)."""
    _writer.submit(lambda: None).result()


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
