"""Fixtures shared by the whole suite."""

import pytest


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
    map and zeroed counters; and no cached upstream answers or known customers from an earlier
    test."""
    from django.core.cache import cache

    from profileviewer.client import reset_client_state
    from profileviewer.viewer.services import forget_known_customers

    reset_client_state()
    forget_known_customers()
    cache.clear()
    yield
    reset_client_state()
    forget_known_customers()
