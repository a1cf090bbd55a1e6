"""Fixtures shared by the whole suite."""

import pytest

# Fails the run if a secret shows in any response or log line (tests/secrets_watch.py).
pytest_plugins = ["tests.secrets_watch"]


@pytest.fixture(autouse=True)
def _fresh_sandbox_rate_limit():
    """Every test starts with full sandbox rate-limit buckets (PAPI-7)."""
    from profileviewer.sandbox import ratelimit

    ratelimit.reset()
    yield
    ratelimit.reset()


@pytest.fixture(autouse=True)
def _fresh_client_state():
    """Every test starts with a new pooled session, full client buckets, an empty single-flight
    map and zeroed counters, and no cached upstream answers from an earlier test."""
    from django.core.cache import caches

    from profileviewer import parallel
    from profileviewer.client import reset_client_state

    reset_client_state()
    for kept in caches.all():
        kept.clear()
    yield
    # A profile page's warm-up may still be reading: it must not reach the next test.
    assert parallel.wait_idle(), "background reads still running 10 s after the test"
    reset_client_state()
