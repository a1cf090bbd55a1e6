"""Token buckets, by name: the client's per API key (PAPI-7), the API's per service key, the
sandbox's per token.

``take`` refills a bucket at ``rate`` tokens a second up to ``burst``, takes one token and
answers 0, or answers the seconds until one is there. A ``reserve`` keeps that many tokens
for other callers (the export leaves part of the upstream budget to agents). Buckets live in
this process (``LocalBuckets``) or in Redis, shared by every process (``RedisBuckets``: one
Lua script, on Redis's clock so hosts agree); a Redis outage limits per process meanwhile.
The libraries we looked at offer windows, not a token bucket with a reserve.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from typing import Protocol

import redis

logger = logging.getLogger("profileviewer.ratelimit")


class Buckets(Protocol):
    def take(self, name: str, rate: float, burst: float, reserve: float = 0.0) -> float:
        """Take a token and return 0, or return the seconds until one may be taken."""
        ...

    def level(self, name: str) -> float | None:
        """The tokens this process last saw left in a bucket (for a metric), or None."""
        ...


def usable(rate: float, burst: float) -> bool:
    """Whether a bucket with this rate and burst can ever hand out a token."""
    return math.isfinite(rate) and rate > 0 and burst >= 1


def retry_after_header(seconds: float) -> str:
    """Whole seconds, rounded up and at least 1, as Retry-After requires."""
    return str(max(1, math.ceil(seconds)))


class LocalBuckets:
    """Thread-safe buckets in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, float]] = {}  # name -> (tokens, when)

    def take(
        self,
        name: str,
        rate: float,
        burst: float,
        reserve: float = 0.0,
        *,
        now: float | None = None,
    ) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, when = self._state.get(name, (float(burst), now))
            tokens = min(float(burst), tokens + max(0.0, now - when) * rate)
            if tokens - 1 >= reserve:
                self._state[name] = (tokens - 1, now)
                return 0.0
            self._state[name] = (tokens, now)
            return (1 + reserve - tokens) / rate

    def level(self, name: str) -> float | None:
        with self._lock:
            state = self._state.get(name)
        return state[0] if state is not None else None

    def clear(self) -> None:
        with self._lock:
            self._state.clear()


# KEYS[1] the bucket; ARGV rate, burst, reserve. Returns the wait in microseconds (0: taken)
# and the tokens left (as text: Redis turns a Lua number into an integer).
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local reserve = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000000)
local wait = 0
if tokens - 1 >= reserve then
  tokens = tokens - 1
else
  wait = math.ceil((1 + reserve - tokens) * 1000000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {wait, tostring(tokens)}
"""


class RedisBuckets:
    """Buckets shared by every process using this Redis; in this process while it is down."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.prefix = prefix
        self._script = client.register_script(_TAKE)
        self._fallback = LocalBuckets()
        self._warned_at = -math.inf
        self._levels: dict[str, float] = {}

    def take(self, name: str, rate: float, burst: float, reserve: float = 0.0) -> float:
        try:
            wait_us, tokens = self._script(keys=[self.prefix + name], args=[rate, burst, reserve])
        except redis.RedisError as exc:
            if time.monotonic() - self._warned_at > 60:
                self._warned_at = time.monotonic()
                logger.warning(
                    "Shared rate limiter unavailable (%s); limiting in this process",
                    type(exc).__name__,
                )
            wait = self._fallback.take(name, rate, burst, reserve)
            self._levels[name] = self._fallback.level(name) or 0.0
            return wait
        self._levels[name] = float(tokens)
        return int(wait_us) / 1_000_000

    def level(self, name: str) -> float | None:
        return self._levels.get(name)


_redis_buckets: dict[tuple[str, str], RedisBuckets] = {}
_redis_lock = threading.Lock()


def redis_buckets(url: str, prefix: str) -> RedisBuckets:
    """One ``RedisBuckets`` per Redis URL and prefix in this process."""
    with _redis_lock:
        buckets = _redis_buckets.get((url, prefix))
        if buckets is None:
            client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
            buckets = _redis_buckets[(url, prefix)] = RedisBuckets(client, prefix)
        return buckets


_local_buckets: dict[str, LocalBuckets] = {}


def named_buckets(prefix: str, redis_url: str | None) -> Buckets:
    """The buckets of one user of this module (``prefix``): in Redis, shared by every process,
    when there is a URL, else in this process."""
    if redis_url:
        return redis_buckets(redis_url, prefix)
    with _redis_lock:
        return _local_buckets.setdefault(prefix, LocalBuckets())


def forget_redis_buckets() -> None:
    """Drop this process's Redis connections, and the buckets ``named_buckets`` keeps in this
    process (tests: as a new process would start)."""
    with _redis_lock:
        _redis_buckets.clear()
        _local_buckets.clear()
