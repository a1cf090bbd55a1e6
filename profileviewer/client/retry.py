"""The retry policy, in one place: GETs only (the client makes no other call).

Retried: connection errors, timeouts, 429 and 500/502/503/504, with exponential backoff and
full jitter (the first retry of a request that got no answer at all is immediate), honouring
``Retry-After`` up to a cap, all inside the call's time budget. Never
retried: other 4xx (they would fail again), protocol errors, our own bucket running dry (the
call already waited for it).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from profileviewer.client.errors import IntileryError, RateLimitError, UnavailableError

RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    base_delay: float = 0.05
    max_delay: float = 1.0
    max_retry_after: float = 2.0

    def is_retryable(self, error: IntileryError) -> bool:
        if isinstance(error, RateLimitError):
            return error.http_status == 429
        if isinstance(error, UnavailableError):
            # No status: the request never got an answer. Below 400: the answer was cut off
            # mid-body (the status line came, the body did not), a network failure too.
            status = error.http_status
            return status is None or status < 400 or status in RETRYABLE_STATUSES
        return False

    def delay(self, attempt: int, error: IntileryError) -> float | None:
        """Seconds before attempt ``attempt + 1`` (0-based), or None not to retry at all.

        A ``Retry-After`` above the cap means "not within this call": we give up at once
        and pass the wait on in the error, rather than ask again before the upstream said.
        """
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            if error.retry_after > self.max_retry_after:
                return None
            return error.retry_after
        if attempt == 0 and isinstance(error, UnavailableError) and error.http_status is None:
            # No answer at all, the first time: most often a kept-alive connection the server
            # had just closed, which a new connection fixes at once (browsers retry these at
            # once too). Later retries back off.
            return 0.0
        return random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))
