"""The outermost middleware: a request's id, its one log line and its latency metric."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from profileviewer.embed.tokens import EmbedAgent
from profileviewer.observability import context, logs, metrics
from profileviewer.observability.urls import PROBE_PATHS

REQUEST_ID_HEADER = "X-Request-Id"
# Any other method is one label value, so no client can mint label values.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_name(request: HttpRequest) -> str:
    """The URL pattern's name (``viewer:traits``), never the path: the path or query may hold a
    customer's reference or a token."""
    match = request.resolver_match
    if match is not None:
        return match.view_name
    # Served by whitenoise before any URL is resolved.
    return "static" if request.path.startswith(settings.STATIC_URL) else "unmatched"


def actor(request: HttpRequest) -> str:
    """Who asked: the agent's username, the host user, or the service key's name and prefix."""
    agent = getattr(request, "agent", None)
    if isinstance(agent, EmbedAgent):
        return f"{agent.host}:{agent.account}:{agent.user}"
    if agent is not None:
        return str(agent.get_username())
    key = getattr(request, "service_key", None)
    return str(key) if key is not None else ""


class RequestObservabilityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        token = context.begin()
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            route = route_name(request)
            method = request.method if request.method in KNOWN_METHODS else None
            method = method or "OTHER"
            metrics.observe_request(route, method, response.status_code, seconds)
            logs.log_request(
                method=method,
                route=route,
                status=response.status_code,
                seconds=seconds,
                actor=actor(request),
                probe=request.path in PROBE_PATHS,
            )
            # Not on static files: the same for everyone, nothing to trace.
            if route != "static" and not response.has_header(REQUEST_ID_HEADER):
                response[REQUEST_ID_HEADER] = context.request_id() or ""
            return response
        finally:
            context.end(token)
