"""Log lines: one per request and one per upstream call, as JSON in production.

``logging_config`` builds Django's ``LOGGING``: JSON lines through python-json-logger
(``LOG_FORMAT=json``, the default unless DEBUG or SANDBOX), or plain text for a person reading
a terminal. Every line carries the id of the request it was written for (``request_id``), so
a request's line and the upstream calls it made can be joined. Customer identifiers (refs,
emails, the paths that hold them) are logged only at DEBUG.
"""

from __future__ import annotations

import logging
from typing import Any

from profileviewer.observability import context

REQUESTS_LOGGER = "profileviewer.requests"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s"


class RouteNotPathFilter(logging.Filter):
    """Django's request lines name the path, and an API path (or the sandbox's) holds the
    customer's reference: they name the URL pattern instead, and leave the request (whose
    repr is its path) out of the line. A probe's answer gets none (a 503 from /readyz is
    the answer it exists to give, said by our own request line); a probe that crashed keeps
    its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Imported here: this module is read by the settings, before any URL module may be.
        from profileviewer.observability.urls import PROBE_PATHS

        request = record.__dict__.pop("request", None)
        if record.exc_info is None and getattr(request, "path", None) in PROBE_PATHS:
            return False
        if request is not None and isinstance(record.args, tuple) and len(record.args) == 2:
            match = getattr(request, "resolver_match", None)
            record.args = (record.args[0], getattr(match, "view_name", "unmatched"))
        return True


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request being served ("-" outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = context.request_id() or "-"
        return True


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """Django's LOGGING for ``log_format`` "json" or "text", our loggers at ``level``."""
    formatters: dict[str, dict[str, Any]] = {
        "text": {"format": TEXT_FORMAT},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
        },
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": RequestIdFilter},
            "route_not_path": {"()": RouteNotPathFilter},
        },
        "formatters": {log_format: formatters[log_format]},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": log_format,
                "filters": ["request_id"],
            },
            "null": {"class": "logging.NullHandler"},
        },
        "root": {"handlers": ["console"], "level": "WARNING"},
        "loggers": {
            "profileviewer": {"handlers": ["console"], "level": level, "propagate": False},
            # Its 4xx lines say what our own request line says; a 5xx line keeps its traceback.
            "django.request": {"level": "ERROR", "filters": ["route_not_path"]},
            # runserver's access line holds the query string (a Pipedrive entry's carries a
            # token): our request line replaces it. (gunicorn's access log likewise stays off.)
            "django.server": {"handlers": ["null"], "propagate": False},
        },
    }


def log_request(
    *, method: str, route: str, status: int, seconds: float, actor: str, probe: bool
) -> None:
    """The one line a request gets: a health probe's only at DEBUG, and a WARNING when it
    failed (an instance not ready, which its load balancer stops sending agents to)."""
    level = logging.INFO
    if probe:
        level = logging.DEBUG if status < 500 else logging.WARNING
    logging.getLogger(REQUESTS_LOGGER).log(
        level,
        "%s %s %d in %.1f ms by %s",
        method,
        route,
        status,
        seconds * 1000,
        actor or "-",
        extra={
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "actor": actor,
        },
    )
