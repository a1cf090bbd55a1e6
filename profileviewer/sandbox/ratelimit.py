"""The sandbox's token bucket per API token (PAPI-7): 100 requests/s, burst 500 by default.

In-process and thread-safe: the sandbox is a development upstream, one process serves it,
and gunicorn's threads share the buckets. Settings are read on every call so
``override_settings`` in tests (and a changed value in a shell) take effect at once.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from dataclasses import dataclass

from django.conf import settings


@dataclass
class _Bucket:
    tokens: float
    updated: float


_lock = threading.Lock()
_buckets: dict[str, _Bucket] = {}


def _key(api_token: str) -> str:
    # Buckets are keyed by a digest so the token itself never sits in a long-lived structure
    # that a debugger or a repr could print.
    return hashlib.sha256(api_token.encode()).hexdigest()


def acquire(api_token: str, *, now: float | None = None) -> float | None:
    """Take one token; None when allowed, else the seconds until a token is available."""
    if not settings.SANDBOX_RATE_LIMIT_ENABLED:
        return None
    rate = float(settings.SANDBOX_RATE_LIMIT)
    burst = float(settings.SANDBOX_RATE_BURST)
    moment = time.monotonic() if now is None else now
    key = _key(api_token)
    with _lock:
        bucket = _buckets.get(key)
        if bucket is None:
            bucket = _buckets[key] = _Bucket(tokens=burst, updated=moment)
        bucket.tokens = min(burst, bucket.tokens + (moment - bucket.updated) * rate)
        bucket.updated = moment
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return (1 - bucket.tokens) / rate


def retry_after_header(wait_seconds: float) -> str:
    """Whole seconds, rounded up and at least 1, as Retry-After requires."""
    return str(max(1, math.ceil(wait_seconds)))


def reset() -> None:
    """Forget every bucket (tests start each case with a full bucket)."""
    with _lock:
        _buckets.clear()
