"""The request pipeline every API view shares: request id, method, key, rate limit, CORS, errors.

Views stay thin: they parse their input and call one insight; everything that is the same
for every endpoint happens here, in this order, so no endpoint can forget a step.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from profileviewer.api import access, ratelimit
from profileviewer.api.access import CUSTOMER_TOKEN_HEADER
from profileviewer.api.errors import ApiError, from_client_error
from profileviewer.api.keys import KeyRefused, parse_bearer, verify
from profileviewer.api.models import ServiceKey
from profileviewer.audit import trail
from profileviewer.client import IntileryError, ProfileRef
from profileviewer.observability import context

logger = logging.getLogger("profileviewer.api")

View = Callable[..., HttpResponse]
EXPOSED_HEADERS = "X-Request-Id, X-Upstream-Request-Id, Retry-After, Cache-Status"
PREFLIGHT_MAX_AGE = "600"


class ApiRequest(HttpRequest):
    service_key: ServiceKey


def _authenticate(request: HttpRequest) -> ServiceKey:
    header = request.headers.get("Authorization")
    if not header:
        raise ApiError(
            401, "authentication_error", "Send your service key: Authorization: Bearer <key>."
        )
    token = parse_bearer(header)
    if token is None:
        raise ApiError(
            401, "authentication_error", "The Authorization header must be 'Bearer <key>'."
        )
    try:
        return verify(token)
    except KeyRefused as refused:
        if refused.key is not None and refused.key.expires_at is not None:
            expired = refused.key.expires_at.isoformat(timespec="seconds")
            message = f"The service key expired at {expired}; ask for a new one."
        else:
            message = "The service key is unknown or revoked."
        raise ApiError(401, "authentication_error", message) from None


def _throttle(key: ServiceKey) -> None:
    decision = ratelimit.take(f"key:{key.pk}", key.rate_limit, key.rate_burst)
    if not decision.allowed:
        raise ApiError(
            429,
            "rate_limit_error",
            f"Rate limit of {key.rate_limit:g} requests per second exceeded; retry later.",
            retry_after=ratelimit.retry_after_header(decision.retry_after),
        )


# RFC 9211: a no-cache request over its key's allowance was answered as a normal one.
FRESH_LIMITED_STATUS = 'ProfileViewer; detail="no-cache over this key\'s limit"'


def wants_fresh(request: HttpRequest) -> bool:
    """Whether to bypass the cache: ``Cache-Control: no-cache``, honoured up to
    API_FRESH_RATE per key (burst API_FRESH_BURST). Each honoured one costs upstream calls
    from the budget every agent and key shares, so past the allowance the request is answered
    like any other (from the cache within its TTL) and the response says so in Cache-Status."""
    if "no-cache" not in request.headers.get("Cache-Control", "").lower():
        return False
    key: ServiceKey = request.service_key  # type: ignore[attr-defined]
    decision = ratelimit.take(f"fresh:{key.pk}", settings.API_FRESH_RATE, settings.API_FRESH_BURST)
    if not decision.allowed:
        request.fresh_limited = True  # type: ignore[attr-defined]
    return decision.allowed


def authorize(request: HttpRequest, ref: ProfileRef, *, identifying: bool) -> None:
    """Raise a 403 ApiError unless the request's key may read `ref` at an endpoint that is
    `identifying` (browser keys: access.py)."""
    key: ServiceKey = request.service_key  # type: ignore[attr-defined]
    token = request.headers.get(CUSTOMER_TOKEN_HEADER)
    access.authorize(key, ref, identifying=identifying, token=token)


def _allow_origin(response: HttpResponse, origin: str | None, origins: set[str]) -> None:
    if origin and origin.rstrip("/") in origins:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if origins:
        response["Vary"] = "Origin, Authorization"


def _preflight(request: HttpRequest) -> HttpResponse:
    """A browser's CORS preflight carries no key, so allow it for origins some active key lists;
    the real request is then checked against its own key's origins."""
    response = HttpResponse(status=204)
    origin = request.headers.get("Origin")
    if origin:
        listed = set()
        usable = ServiceKey.objects.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()), revoked_at__isnull=True
        )
        for key in usable.exclude(allowed_origins=""):
            listed |= key.origins()
        if origin.rstrip("/") in listed:
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Allow-Methods"] = "GET"
            response["Access-Control-Allow-Headers"] = (
                f"Authorization, Cache-Control, {CUSTOMER_TOKEN_HEADER}"
            )
            response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
            response["Vary"] = "Origin"
    return response


def api_endpoint(*, authenticated: bool = True) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            # The id the request's log lines carry (observability/middleware.py).
            request_id = context.request_id() or str(uuid.uuid4())
            origins: set[str] = set()
            key: ServiceKey | None = None
            try:
                if request.method == "OPTIONS":
                    response = _preflight(request)
                elif request.method not in ("GET", "HEAD"):
                    raise ApiError(405, "invalid_request_error", "Only GET is supported.")
                else:
                    if authenticated:
                        key = _authenticate(request)
                        origins = key.origins()
                        _throttle(key)
                        request.service_key = key  # type: ignore[attr-defined]
                    response = view(request, *args, **kwargs)
            except ApiError as error:
                response = error.response()
            except IntileryError as error:
                response = from_client_error(error).response()
            except Exception:
                # A bug of ours: log it with the request id, answer JSON, never a debug page.
                logger.exception("Unexpected error in the API (request id %s)", request_id)
                response = ApiError(
                    500,
                    "internal_server_error",
                    f"Unexpected error; quote request id {request_id}.",
                ).response()
            if response.status_code == 405:
                response["Allow"] = "GET, HEAD, OPTIONS"
            response["X-Request-Id"] = request_id
            response["Cache-Control"] = "private, no-store"
            if getattr(request, "fresh_limited", False):
                response["Cache-Status"] = FRESH_LIMITED_STATUS
            _allow_origin(response, request.headers.get("Origin"), origins)
            ref_text = getattr(request, "customer_ref", None)
            if key is not None and ref_text is not None:
                trail.record_api_call(request, response, key, ref_text, request_id)
            return response

        return wrapper

    return decorate
