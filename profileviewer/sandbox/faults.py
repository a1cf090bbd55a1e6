"""Fault injection for the sandbox: latency, server errors, 429s, malformed and slow bodies.

Off by default. Settings (``SANDBOX_FAULT_*``) set a standing plan; one request can override
any part of it with the header ``X-Sandbox-Fault``, for example
``latency_ms=50; jitter_ms=10; error_rate=1; error_status=503; rate_limit_rate=0.5;
retry_after=2; malformed_rate=1; slow_drip_ms=2000`` (any subset; ``retry_after=none`` omits
the Retry-After header). Only the sandbox reads that header; a malformed one is a
``400 invalid_request_error`` so a typo never silently tests nothing.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse

from profileviewer.sandbox.errors import INTERNAL, RATE_LIMIT, SandboxError, invalid_request
from profileviewer.sandbox.params import ascii_whole_number

HEADER = "X-Sandbox-Fault"
SERVER_ERROR_STATUSES = (500, 502, 503, 504)
MAX_MS = 120_000.0
MAX_RETRY_AFTER = 3600
SERVER_ERROR_MESSAGES = {
    500: "Injected fault: internal server error.",
    502: "Injected fault: bad gateway.",
    503: "Injected fault: service unavailable.",
    504: "Injected fault: gateway timeout.",
}


@dataclass(frozen=True)
class FaultPlan:
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    # None: a random one of SERVER_ERROR_STATUSES for each injected error.
    error_status: int | None = None
    rate_limit_rate: float = 0.0
    # Seconds for the injected 429's Retry-After; None leaves the header out.
    retry_after: int | None = 1
    malformed_rate: float = 0.0
    slow_drip_ms: float = 0.0


def plan_from_settings() -> FaultPlan:
    return FaultPlan(
        latency_ms=float(settings.SANDBOX_FAULT_LATENCY_MS),
        jitter_ms=float(settings.SANDBOX_FAULT_JITTER_MS),
        error_rate=float(settings.SANDBOX_FAULT_ERROR_RATE),
        rate_limit_rate=float(settings.SANDBOX_FAULT_RATE_LIMIT_RATE),
        malformed_rate=float(settings.SANDBOX_FAULT_MALFORMED_RATE),
        slow_drip_ms=float(settings.SANDBOX_FAULT_SLOW_DRIP_MS),
    )


def _number(name: str, text: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise invalid_request(f"{HEADER}: {name} must be a number, got {text!r}.") from None
    if not (low <= value <= high):  # also rejects NaN
        raise invalid_request(f"{HEADER}: {name} must be between {low:g} and {high:g}.")
    return value


def _error_status(text: str) -> int:
    if text.strip() not in {str(status) for status in SERVER_ERROR_STATUSES}:
        raise invalid_request(f"{HEADER}: error_status must be one of 500, 502, 503, 504.")
    return int(text)


def _retry_after(text: str) -> int | None:
    if text.lower() == "none":
        return None
    seconds = ascii_whole_number(text, MAX_RETRY_AFTER)
    if seconds is None or seconds > MAX_RETRY_AFTER:
        raise invalid_request(
            f"{HEADER}: retry_after must be whole seconds up to {MAX_RETRY_AFTER}, or none."
        )
    return seconds


def parse_header(text: str, base: FaultPlan) -> FaultPlan:
    """Apply a header such as ``error_rate=1; error_status=503`` on top of ``base``."""
    changes: dict[str, object] = {}
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        name, sep, value = part.partition("=")
        name, value = name.strip().lower(), value.strip()
        if not sep or not value:
            raise invalid_request(f"{HEADER}: expected name=value, got {part!r}.")
        if name in {"latency_ms", "jitter_ms", "slow_drip_ms"}:
            changes[name] = _number(name, value, 0, MAX_MS)
        elif name in {"error_rate", "rate_limit_rate", "malformed_rate"}:
            changes[name] = _number(name, value, 0, 1)
        elif name == "error_status":
            changes[name] = _error_status(value)
        elif name == "retry_after":
            changes[name] = _retry_after(value)
        else:
            raise invalid_request(f"{HEADER}: unknown fault {name!r}.")
    return replace(base, **changes)  # type: ignore[arg-type]


def plan_for(request: HttpRequest) -> FaultPlan:
    base = plan_from_settings()
    header = request.headers.get(HEADER)
    return base if header is None else parse_header(header, base)


def _happens(rate: float) -> bool:
    return rate > 0 and (rate >= 1 or random.random() < rate)


def inject_before(plan: FaultPlan) -> None:
    """Wait the planned latency, then maybe fail the request instead of serving it."""
    delay_ms = plan.latency_ms + (random.uniform(0, plan.jitter_ms) if plan.jitter_ms else 0)
    if delay_ms > 0:
        time.sleep(delay_ms / 1000)
    if _happens(plan.rate_limit_rate):
        headers = {} if plan.retry_after is None else {"Retry-After": str(plan.retry_after)}
        raise SandboxError(429, RATE_LIMIT, "Injected fault: too many requests.", headers)
    if _happens(plan.error_rate):
        status = plan.error_status or random.choice(SERVER_ERROR_STATUSES)
        raise SandboxError(status, INTERNAL, SERVER_ERROR_MESSAGES[status])


def _drip(body: bytes, total_ms: float) -> Iterator[bytes]:
    chunks = max(2, min(50, math.ceil(len(body) / 64)))
    size = max(1, math.ceil(len(body) / chunks))
    pause = total_ms / 1000 / chunks
    for start in range(0, len(body), size):
        time.sleep(pause)
        yield body[start : start + size]


def shape_response(plan: FaultPlan, response: HttpResponse) -> HttpResponseBase:
    """Corrupt or slow down a finished response as planned."""
    if _happens(plan.malformed_rate):
        body = response.content
        # A strict prefix of a JSON document is never valid JSON; status 200 on purpose, so a
        # client that trusts the status alone is caught out.
        truncated = body[: len(body) // 2] if len(body) > 1 else b'{"data": ['
        malformed = HttpResponse(truncated, status=200, content_type="application/json")
        return malformed
    if plan.slow_drip_ms > 0:
        body = response.content
        streamed = StreamingHttpResponse(
            _drip(body, plan.slow_drip_ms),
            status=response.status_code,
            content_type=response.get("Content-Type", "application/json"),
        )
        streamed["Content-Length"] = str(len(body))
        for name, value in response.items():
            if name.lower() not in {"content-type", "content-length"}:
                streamed[name] = value
        return streamed
    return response
