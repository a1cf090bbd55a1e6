"""Token buckets that keep us under the upstream's 100/s, burst 500 per key (PAPI-7).

In-process by default; with ``REDIS_URL`` one bucket per API key lives in Redis, so every
worker on every host draws from the same budget (one Lua script: atomic, and using the Redis
clock so hosts with skewed clocks agree). A caller with ``rate_share < 1`` (the export) may
only take tokens while more than ``(1 - share) * burst`` remain, which leaves headroom for
interactive look-ups.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Protocol

import redis

logger = logging.getLogger("profileviewer.client")


class RateLimiter(Protocol):
    def try_acquire(self, reserve: float = 0.0) -> float:
        """Take a token and return 0, or return the seconds until one may be available."""
        ...

    def available(self) -> float:
        """The tokens that could be taken now, none taken."""
        ...


def acquire(limiter: RateLimiter, *, deadline: float, reserve: float = 0.0) -> float | None:
    """Wait for a token until ``deadline``: None when one was taken, else the wait still due."""
    while True:
        wait = limiter.try_acquire(reserve)
        if wait <= 0:
            return None
        if time.monotonic() + wait > deadline:
            return wait
        time.sleep(wait)


class TokenBucket:
    """A thread-safe in-process bucket."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._updated = time.monotonic()
        self._lock = threading.Lock()

    def try_acquire(self, reserve: float = 0.0) -> float:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens - 1 >= reserve:
                self._tokens -= 1
                return 0.0
            return (1 + reserve - self._tokens) / self.rate

    def available(self) -> float:
        with self._lock:
            elapsed = time.monotonic() - self._updated
            return min(self.burst, self._tokens + elapsed * self.rate)


# KEYS[1] bucket; ARGV rate (tokens/s), burst, reserve, "peek" to only read the level or
# "take", the extra tokens wanted beside the one (a lease: granted only while the bucket stays
# more than half full), and how long a lease lasts (microseconds). Returns {wait in
# microseconds (0: taken), tokens taken}, or for a peek the tokens available in thousandths,
# nothing written. State: tokens, the time of the last update, and the extra tokens leased
# (with the time of the latest lease): until they lapse the bucket refills only to the burst
# less them, so tokens here and tokens leased never add up to more than the burst.
_BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local reserve = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts', 'leased', 'leased_at')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
local leased = tonumber(state[3]) or 0
local leased_at = tonumber(state[4]) or 0
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
if leased > 0 and now - leased_at > tonumber(ARGV[6] or '0') then
  leased = 0
end
if now > ts then
  tokens = math.min(burst - leased, tokens + (now - ts) * rate / 1000000)
end
if ARGV[4] == 'peek' then
  return math.floor(tokens * 1000)
end
local wait = 0
local taken = 0
if tokens - 1 >= reserve then
  local extra = math.max(0, math.min(tonumber(ARGV[5] or '0'), math.floor(tokens - 1 - burst / 2)))
  taken = 1 + extra
  tokens = tokens - taken
  if extra > 0 then
    leased = leased + extra
    leased_at = now
  end
else
  wait = math.ceil((1 + reserve - tokens) * 1000000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now),
           'leased', tostring(leased), 'leased_at', tostring(leased_at))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {wait, taken}
"""


LEASE_MARGIN = 0.25


class RedisTokenBucket:
    """One bucket shared by every process using the same Redis and key.

    If Redis cannot be reached the bucket falls back to an in-process one (logged), so an
    outage of the cache server slows nothing down but is no longer shared.

    ``lease``: up to this many tokens more may be taken with one, while the shared bucket
    stays more than half full, and spent here without asking Redis again, for up to
    ``lease_seconds`` (then they are dropped, unspent: a few tokens a second at most, out
    of 100). Every token spent was taken from the shared bucket first, and until a lease
    lapses the bucket refills only to the burst less the tokens leased, so the processes
    together still never spend more than the burst at once; a busy bucket gives one token a
    round trip, as without a lease. Only callers without a reserve spend leased tokens (a
    partial share, such as the export's, always asks Redis).
    """

    def __init__(
        self,
        client: redis.Redis,
        key: str,
        rate: float,
        burst: int,
        *,
        lease: int = 0,
        lease_seconds: float = 1.0,
    ) -> None:
        self.key = key
        self.rate = rate
        self.burst = burst
        self.lease = lease
        self.lease_seconds = lease_seconds
        self._script = client.register_script(_BUCKET_SCRIPT)
        self._fallback = TokenBucket(rate, burst)
        self._warned_at = 0.0
        self._leased = 0
        self._leased_until = 0.0
        self._lease_lock = threading.Lock()
        # Redis counts a lease a little longer than this process spends it (its clock starts
        # before the answer gets here).
        self._lease_us = int((lease_seconds + LEASE_MARGIN) * 1_000_000)

    def try_acquire(self, reserve: float = 0.0) -> float:
        extra = self.lease if reserve <= 0 else 0
        if extra:
            with self._lease_lock:
                if self._leased and time.monotonic() < self._leased_until:
                    self._leased -= 1
                    return 0.0
        try:
            wait_us, taken = self._script(
                keys=[self.key],
                args=[self.rate, self.burst, reserve, "take", extra, self._lease_us],
            )
        except redis.RedisError as exc:
            now = time.monotonic()
            if now - self._warned_at > 60:
                self._warned_at = now
                logger.warning(
                    "Shared rate limiter unavailable (%s); using a per-process bucket",
                    type(exc).__name__,
                )
            return self._fallback.try_acquire(reserve)
        if int(taken) > 1:
            with self._lease_lock:
                # Added to what this process still holds (threads may lease at once).
                now = time.monotonic()
                if now >= self._leased_until:
                    self._leased = 0
                self._leased += int(taken) - 1
                self._leased_until = now + self.lease_seconds
        return int(wait_us) / 1_000_000

    def available(self) -> float:
        """The shared bucket's tokens (tokens leased here are not counted)."""
        try:
            level = self._script(
                keys=[self.key], args=[self.rate, self.burst, 0, "peek", 0, self._lease_us]
            )
            return int(level) / 1000
        except redis.RedisError:
            return self._fallback.available()  # try_acquire warns about the outage
