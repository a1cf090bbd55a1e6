"""The client's Prometheus metrics, exposed at ``/metrics`` (profileviewer/observability).

Plain ``prometheus_client`` metrics in its default registry: under gunicorn with
``PROMETHEUS_MULTIPROC_DIR`` set, each worker writes them to that directory and ``/metrics``
sums them across workers. Labels are endpoint names (``traits``), statuses and fixed words,
never a path: a path holds the customer's reference.

``stats()`` reads the same metrics back as plain numbers for this process, counted from the
last ``reset()`` (a counter itself never goes back).
"""

from __future__ import annotations

import threading

from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

UPSTREAM_REQUESTS = Counter(
    "pv_upstream_requests",
    "HTTP requests sent to the Profiles API (each retry counts), by endpoint and status "
    "('no_answer' when none came).",
    ["endpoint", "status"],
)
UPSTREAM_SECONDS = Histogram(
    "pv_upstream_request_duration_seconds",
    "Time from sending a request to the Profiles API to its last byte, by endpoint.",
    ["endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CACHE_LOOKUPS = Counter(
    "pv_client_cache_lookups",
    "Reads of the client's answer cache: result is hit or miss (requests that skip the cache "
    "are not counted).",
    ["result"],
)
COALESCED = Counter(
    "pv_client_coalesced_calls",
    "Calls answered by another caller's identical in-flight upstream request.",
)
RETRIES = Counter(
    "pv_upstream_retries", "Upstream requests repeated after a retryable failure.", ["endpoint"]
)
RATE_LIMITED = Counter(
    "pv_client_rate_limited",
    "Calls refused for rate: source is upstream (a 429) or bucket (our own bucket had no "
    "token within the call's time budget).",
    ["source"],
)
RATE_LIMIT_WAIT_SECONDS = Histogram(
    "pv_client_rate_limit_wait_seconds",
    "Time a call slept waiting for a token of the API key's bucket.",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
# With REDIS_URL every worker takes from the one shared bucket, so the level any live worker
# saw last is the bucket's level.
BUCKET_TOKENS = Gauge(
    "pv_client_bucket_tokens",
    "Tokens left in the API key's rate-limit bucket after the last take.",
    multiprocess_mode="livemostrecent",
)
ERRORS = Counter("pv_client_errors", "Client calls that ended in an error, by its kind.", ["kind"])


def _total(metric: MetricWrapperBase, **labels: str) -> float:
    """This process's count of a counter, summed over the label values not given."""
    return sum(
        sample.value
        for family in metric.collect()
        for sample in family.samples
        if sample.name.endswith("_total")
        and all(sample.labels.get(name) == value for name, value in labels.items())
    )


def _totals() -> dict[str, int]:
    return {
        "calls": int(_total(UPSTREAM_REQUESTS)),
        "cache_hits": int(_total(CACHE_LOOKUPS, result="hit")),
        "coalesced": int(_total(COALESCED)),
        "retries": int(_total(RETRIES)),
        "rate_limited": int(_total(RATE_LIMITED)),
        "errors": int(_total(ERRORS)),
    }


_baseline_lock = threading.Lock()
_baseline = _totals()


def stats() -> dict[str, int]:
    """calls, cache_hits, coalesced, retries, rate_limited, errors since the last ``reset``."""
    now = _totals()
    with _baseline_lock:
        return {name: value - _baseline[name] for name, value in now.items()}


def reset() -> None:
    global _baseline
    totals = _totals()
    with _baseline_lock:
        _baseline = totals
