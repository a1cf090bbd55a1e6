"""Per-service-key limits, on the shared token buckets (``profileviewer.ratelimit``): in this
process, or in Redis for every process when ``REDIS_URL`` is set.

``take`` answers at once and never waits: a caller over its limit gets a 429 with the time
until a token is back. A key whose rate or burst can never give a token (the model refuses
such values, but a row may predate that rule or be written by hand) refuses every request
with ``Retry-After`` of ``UNUSABLE_RETRY_AFTER`` seconds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings

from profileviewer.ratelimit import (
    LocalBuckets,
    forget_redis_buckets,
    redis_buckets,
    retry_after_header,
    usable,
)

__all__ = ["UNUSABLE_RETRY_AFTER", "Decision", "reset", "retry_after_header", "take"]

logger = logging.getLogger("profileviewer.api")

# No wait would help such a key: tell the caller to come back much later.
UNUSABLE_RETRY_AFTER = 3600.0

_local = LocalBuckets()


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: float  # seconds until one token is available; 0 when allowed


def take(name: str, rate: float, burst: int) -> Decision:
    """Take one token from the named bucket (Redis when configured, else this process)."""
    if not usable(rate, burst):
        logger.warning(
            "Bucket %s has rate %r and burst %r: refusing every request", name, rate, burst
        )
        return Decision(False, UNUSABLE_RETRY_AFTER)
    url = getattr(settings, "REDIS_URL", None)
    buckets = redis_buckets(url, "pv:api:bucket:") if url else _local
    wait = buckets.take(name, rate, burst)
    return Decision(wait <= 0, wait)


def reset() -> None:
    """Forget every bucket this process holds, and its Redis connections (tests)."""
    _local.clear()
    forget_redis_buckets()
