"""Process-wide counters of the client's work, for a health or metrics view."""

from __future__ import annotations

import threading

COUNTER_NAMES = (
    "calls",  # upstream HTTP requests sent (each retry counts)
    "cache_hits",  # answers from the cache, this process's or another's
    "coalesced",  # callers that shared another caller's in-flight upstream call
    "retries",  # upstream requests repeated after a retryable failure
    "rate_limited",  # 429s from the upstream plus calls our own bucket refused
    "errors",  # client calls that ended in an IntileryError
)


class Counters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values = dict.fromkeys(COUNTER_NAMES, 0)

    def incr(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._values[name] += amount

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self._values)

    def reset(self) -> None:
        with self._lock:
            self._values = dict.fromkeys(COUNTER_NAMES, 0)


counters = Counters()
