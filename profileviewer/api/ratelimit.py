"""Per-service-key token buckets: in-process, or shared through Redis when ``REDIS_URL`` is set.

Each key has its own rate (tokens per second) and burst (bucket size). ``take`` answers
"allowed?" at once and never waits: an API caller over its limit gets a 429 with the time
until a token is back, rather than a request held open.

A key whose rate is not above 0 (or whose burst is below 1) can never earn a token: the model
refuses such values, but a row written before that rule (or by hand in the database) is treated
as "no requests allowed": every request is refused with a 429 and ``Retry-After`` of
``UNUSABLE_RETRY_AFTER`` seconds, never a division by zero.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

logger = logging.getLogger("profileviewer.api")

# Retry-After for a key whose rate or burst allows no requests at all: no wait would help,
# so tell the caller to come back much later rather than hammer the API.
UNUSABLE_RETRY_AFTER = 3600.0


def usable(rate: float, burst: int) -> bool:
    """Whether a bucket with this rate and burst can ever hand out a token."""
    return math.isfinite(rate) and rate > 0 and burst >= 1


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float  # seconds until one token is available; 0 when allowed


class LocalBuckets:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[str, tuple[float, float]] = {}  # name -> (tokens, last refill)

    def take(self, name: str, rate: float, burst: int) -> Decision:
        if not usable(rate, burst):
            return Decision(False, UNUSABLE_RETRY_AFTER)
        now = time.monotonic()
        with self._lock:
            tokens, last = self._state.get(name, (float(burst), now))
            tokens = min(float(burst), tokens + (now - last) * rate)
            if tokens >= 1:
                self._state[name] = (tokens - 1, now)
                return Decision(True, 0.0)
            self._state[name] = (tokens, now)
            return Decision(False, (1 - tokens) / rate)

    def reset(self) -> None:
        with self._lock:
            self._state.clear()


# Atomic refill-and-take on one Redis hash; time comes from the Redis server so several app
# processes on different clocks agree.
_LUA = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return {allowed, tostring(tokens)}
"""


class RedisBuckets:
    def __init__(self, url: str) -> None:
        import redis

        self._redis: Any = redis.Redis.from_url(url, socket_timeout=0.5)
        self._script = self._redis.register_script(_LUA)

    def take(self, name: str, rate: float, burst: int) -> Decision:
        if not usable(rate, burst):
            return Decision(False, UNUSABLE_RETRY_AFTER)
        allowed, tokens = self._script(keys=[f"pv:api:bucket:{name}"], args=[rate, burst])
        if int(allowed):
            return Decision(True, 0.0)
        return Decision(False, (1 - float(tokens)) / rate)


_local = LocalBuckets()
_redis: dict[str, RedisBuckets] = {}


def take(name: str, rate: float, burst: int) -> Decision:
    """Take one token from the named bucket (Redis when configured, else this process)."""
    if not usable(rate, burst):
        logger.warning(
            "Bucket %s has rate %r and burst %r: refusing every request", name, rate, burst
        )
        return Decision(False, UNUSABLE_RETRY_AFTER)
    url = getattr(settings, "REDIS_URL", None)
    if not url:
        return _local.take(name, rate, burst)
    try:
        if url not in _redis:
            _redis[url] = RedisBuckets(url)
        return _redis[url].take(name, rate, burst)
    except Exception:  # redis.RedisError and friends: limit per process rather than fail
        logger.warning("Redis rate limiter unavailable; limiting in this process only")
        return _local.take(name, rate, burst)


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))


def reset() -> None:
    """Forget every in-process bucket (tests)."""
    _local.reset()
