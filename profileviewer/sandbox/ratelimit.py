"""The sandbox's token bucket per API token (PAPI-7): 100 requests/s, burst 500 by default.

In this process: the sandbox is a development upstream that one process serves. Settings are
read on every call, so ``override_settings`` in tests takes effect at once.
"""

from __future__ import annotations

import hashlib

from django.conf import settings

from profileviewer.ratelimit import LocalBuckets, retry_after_header

__all__ = ["acquire", "reset", "retry_after_header"]

_buckets = LocalBuckets()


def acquire(api_token: str, *, now: float | None = None) -> float | None:
    """Take one token; None when allowed, else the seconds until a token is available."""
    if not settings.SANDBOX_RATE_LIMIT_ENABLED:
        return None
    # By digest: the token itself never sits in a long-lived structure a repr could print.
    name = hashlib.sha256(api_token.encode()).hexdigest()
    rate, burst = float(settings.SANDBOX_RATE_LIMIT), float(settings.SANDBOX_RATE_BURST)
    wait = _buckets.take(name, rate, burst, now=now)
    return wait or None


def reset() -> None:
    """Forget every bucket (tests start each case with a full bucket)."""
    _buckets.clear()
