"""Fixtures shared by the whole suite."""

import pytest


@pytest.fixture(autouse=True)
def _fresh_sandbox_rate_limit():
    """Every test starts with full sandbox rate-limit buckets (PAPI-7)."""
    from profileviewer.sandbox import ratelimit

    ratelimit.reset()
    yield
    ratelimit.reset()
