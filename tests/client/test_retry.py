"""The retry policy's waits (the calls themselves are tested against a hostile upstream)."""

import pytest

from profileviewer.client.errors import RateLimitError, UnavailableError
from profileviewer.client.retry import RetryPolicy

NO_ANSWER = UnavailableError("Could not connect to the Profiles API.")


def test_the_first_retry_of_a_request_that_got_no_answer_is_immediate():
    # Most often a kept-alive connection the server had just closed.
    assert RetryPolicy().delay(0, NO_ANSWER) == 0.0


@pytest.mark.parametrize("attempt", [1, 2, 3])
def test_later_retries_back_off_with_jitter_up_to_the_cap(attempt):
    policy = RetryPolicy(base_delay=0.05, max_delay=1.0)
    delays = [policy.delay(attempt, NO_ANSWER) for _ in range(200)]
    cap = min(1.0, 0.05 * 2**attempt)
    assert all(0 <= d <= cap for d in delays)
    assert max(delays) > cap / 2  # jittered over the range, not a fixed wait


def test_an_error_answer_backs_off_even_the_first_time():
    answered = UnavailableError("Profiles API unavailable", http_status=503)
    delays = {RetryPolicy().delay(0, answered) for _ in range(50)}
    assert len(delays) > 1 and all(0 <= d <= 0.05 for d in delays)


def test_retry_after_is_honoured_up_to_the_cap_and_refused_beyond():
    policy = RetryPolicy(max_retry_after=2.0)
    assert policy.delay(0, RateLimitError("slow down", http_status=429, retry_after=1.5)) == 1.5
    assert policy.delay(0, RateLimitError("slow down", http_status=429, retry_after=30)) is None
