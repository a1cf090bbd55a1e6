"""The app's own Prometheus metrics (requests, the export) and the exposition at ``/metrics``.

The client's metrics live beside it (profileviewer/client/metrics.py). Under gunicorn,
``PROMETHEUS_MULTIPROC_DIR`` (set by gunicorn.conf.py) makes every worker write its metrics to
that directory, and a scrape reads all of them through a ``MultiProcessCollector`` on a fresh
registry; in one process the default registry is read as it is.
"""

from __future__ import annotations

import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

REQUEST_SECONDS = Histogram(
    "pv_request_duration_seconds",
    "Time to answer a request to the app (panels, pages, the API), by route name and status.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
PANELS_KEPT = Counter(
    "pv_panel_cache_lookups_total",
    "Panels asked for again: served as kept (hit), or drawn because none was kept (miss).",
    ["result"],
)
# The export is one process at a time; "mostrecent" keeps its last figures after it ends.
EXPORT_PROFILES = Gauge(
    "pv_export_profiles_done",
    "Profiles written by the running (or last) export, resumed ones included.",
    multiprocess_mode="mostrecent",
)
EXPORT_EVENTS = Gauge(
    "pv_export_events_done",
    "Events written by the running (or last) export.",
    multiprocess_mode="mostrecent",
)
EXPORT_EXPECTED = Gauge(
    "pv_export_profiles_expected",
    "The profile count the export was told to expect (--total), 0 when not told.",
    multiprocess_mode="mostrecent",
)
EXPORT_UPDATED = Gauge(
    "pv_export_updated_timestamp_seconds",
    "When the export last wrote a profile (Unix time): a stalled export stops moving it.",
    multiprocess_mode="mostrecent",
)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(route, method, str(status)).observe(seconds)


def panel_lookup(hit: bool) -> None:
    PANELS_KEPT.labels("hit" if hit else "miss").inc()


def export_progress(count: int, events: int, expected: int | None) -> None:
    EXPORT_PROFILES.set(count)
    EXPORT_EVENTS.set(events)
    EXPORT_EXPECTED.set(expected or 0)
    EXPORT_UPDATED.set(time.time())


def exposition(multiprocess_dir: str | None) -> tuple[bytes, str]:
    """The text a scrape reads, and its content type: every worker's metrics under gunicorn."""
    if multiprocess_dir:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=multiprocess_dir)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
