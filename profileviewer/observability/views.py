"""``/healthz``, ``/readyz`` and ``/metrics``: for load balancers and Prometheus, not people.

None of them needs a sign-in, takes from a rate limit or writes to the audit trail, and none is
ever kept by a cache.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from profileviewer.observability import health, metrics


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Alive: the process answers. Touches nothing else, so a slow database never restarts it."""
    return JsonResponse({"status": "alive"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """Ready to serve: 200 when the database, the cache and the upstream all answer, else 503
    naming the ones that did not."""
    checks = health.readiness(settings.READYZ_UPSTREAM_BUDGET, settings.READYZ_UPSTREAM_EVERY)
    failed = [name for name, check in checks.items() if not check.ready]
    body = {
        "status": "not ready" if failed else "ready",
        "failed": failed,
        "checks": {
            name: {"ready": check.ready, "latency_ms": check.latency_ms}
            | ({"error": check.error} if check.error else {})
            for name, check in checks.items()
        },
    }
    return JsonResponse(body, status=503 if failed else 200)


def _token_matches(request: HttpRequest, expected: str) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        token.strip().encode(), expected.encode()
    )


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition, for whoever holds METRICS_TOKEN; there is none without one."""
    expected = settings.METRICS_TOKEN
    if not expected:
        return HttpResponseNotFound("Not found.", content_type="text/plain")
    if not _token_matches(request, expected):
        response = HttpResponse(
            "Send the metrics token: Authorization: Bearer <token>.",
            status=401,
            content_type="text/plain",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics.exposition(settings.PROMETHEUS_MULTIPROC_DIR)
    return HttpResponse(body, content_type=content_type)
