"""What every sandbox request passes through, in the order the real API gateway applies it.

request id (PAPI-9) -> method (405) -> size (413, PAPI-8) -> content-type (400, PAPI-5) ->
auth-token and tenant (401, PAPI-6) -> rate limit (429, PAPI-7) -> injected faults -> the
view, whose own checks give 400 and 404. Every outcome, an unexpected exception included,
is a JSON body (PAPI-10, 19) carrying ``x-amzn-RequestId``.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.views.decorators.common import no_append_slash
from django.views.decorators.csrf import csrf_exempt

from profileviewer.sandbox import faults, ratelimit
from profileviewer.sandbox.errors import (
    AUTHENTICATION,
    INTERNAL,
    INVALID_REQUEST,
    RATE_LIMIT,
    SandboxError,
    error_response,
    invalid_request,
)
from profileviewer.sandbox.params import ascii_whole_number

logger = logging.getLogger("profileviewer.sandbox")

REQUEST_ID_HEADER = "x-amzn-RequestId"
MAX_REQUEST_BYTES = 1_048_576
TENANT_KWARGS = ("client_id", "account_id", "brand_id")

View = Callable[..., HttpResponse]
Endpoint = Callable[..., HttpResponseBase]


def _check_method(request: HttpRequest) -> None:
    if request.method != "GET":
        raise SandboxError(
            405,
            INVALID_REQUEST,
            f"Method {request.method} is not allowed: the Profiles API is read-only (GET).",
            {"Allow": "GET"},
        )


def _too_large() -> SandboxError:
    return SandboxError(
        413,
        INVALID_REQUEST,
        f"The request is larger than the 1 MB limit ({MAX_REQUEST_BYTES:,} bytes).",
    )


def _check_size(request: HttpRequest) -> None:
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.strip():
        size = ascii_whole_number(declared.strip(), MAX_REQUEST_BYTES)
        if size is None:
            raise invalid_request("Content-Length must be a whole number of bytes.")
        if size > MAX_REQUEST_BYTES:
            raise _too_large()
        return
    if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        # No declared length (servers such as gunicorn pass chunked bodies through): read at
        # most one byte past the limit from the raw stream, since Django's own stream sees
        # a length of 0 here and RequestDataTooBig must never be the answer.
        stream = request.META.get("wsgi.input")
        if stream is not None and len(stream.read(MAX_REQUEST_BYTES + 1)) > MAX_REQUEST_BYTES:
            raise _too_large()


def _check_content_type(request: HttpRequest) -> None:
    if (request.content_type or "").lower() != "application/json":
        raise invalid_request("The content-type header must be application/json.")


def _authenticate(request: HttpRequest, tenant: dict[str, str]) -> str:
    """The request's API token once it is the sandbox's and matches the path's tenant."""
    token = request.headers.get("auth-token", "")
    if not token:
        raise SandboxError(401, AUTHENTICATION, "The auth-token header is required.")
    if not hmac.compare_digest(token.encode(), settings.SANDBOX_API_TOKEN.encode()):
        raise SandboxError(401, AUTHENTICATION, "The auth-token is not valid.")
    expected = (settings.SANDBOX_CLIENT_ID, settings.SANDBOX_ACCOUNT_ID, settings.SANDBOX_BRAND_ID)
    if tuple(tenant[name] for name in TENANT_KWARGS) != expected:
        raise SandboxError(
            401,
            AUTHENTICATION,
            "The auth-token is not valid for this clientId, accountId and brandId.",
        )
    return token


def _rate_limit(token: str) -> None:
    wait = ratelimit.acquire(token)
    if wait is not None:
        raise SandboxError(
            429,
            RATE_LIMIT,
            "Too many requests: the limit is "
            f"{settings.SANDBOX_RATE_LIMIT:g} per second with a burst of "
            f"{settings.SANDBOX_RATE_BURST}.",
            {"Retry-After": ratelimit.retry_after_header(wait)},
        )


def _serve(view: View, request: HttpRequest, args: Any, kwargs: Any, api: bool) -> HttpResponseBase:
    _check_method(request)
    _check_size(request)
    if not api:
        return view(request, *args, **kwargs)
    _check_content_type(request)
    tenant = {name: kwargs.pop(name) for name in TENANT_KWARGS}
    _rate_limit(_authenticate(request, tenant))
    plan = faults.plan_for(request)
    faults.inject_before(plan)
    return faults.shape_response(plan, view(request, *args, **kwargs))


def _endpoint(view: View, *, api: bool) -> Endpoint:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        request_id = str(uuid.uuid4())
        response: HttpResponseBase
        try:
            response = _serve(view, request, args, kwargs, api)
        except SandboxError as error:
            response = error_response(error)
        except Exception:
            # Paths may name a customer but never carry the token, so they are safe to log.
            logger.exception(
                "Sandbox request %s failed: %s %s", request_id, request.method, request.path
            )
            response = error_response(
                SandboxError(500, INTERNAL, f"Something went wrong (request {request_id}).")
            )
        response[REQUEST_ID_HEADER] = request_id
        return response

    return csrf_exempt(no_append_slash(wrapper))


def api_endpoint(view: View) -> Endpoint:
    """A Profiles API endpoint: every check, from the method to the injected faults."""
    return _endpoint(view, api=True)


def public_endpoint(view: View) -> Endpoint:
    """A sandbox page without auth (the OpenAPI document, product images, unknown paths)."""
    return _endpoint(view, api=False)
