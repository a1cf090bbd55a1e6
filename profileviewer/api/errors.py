"""The API's JSON errors: one place turns our checks and the client's errors into a response.

The body is the vendor's (PAPI-19): ``{"error": {"code": ..., "message": ...}}``. Statuses are
ours: a problem upstream is a 502/503/504 of this service, never a 500, and the upstream
request id travels in ``X-Upstream-Request-Id`` and in the message so it can be quoted.
"""

from __future__ import annotations

import logging

from django.http import JsonResponse

from profileviewer.client import (
    AuthenticationError,
    IntileryError,
    NotFoundError,
    ProfileRefError,
    ProtocolError,
    RateLimitError,
    UnavailableError,
)

logger = logging.getLogger("profileviewer.api")


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        retry_after: str | None = None,
        upstream_request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.upstream_request_id = upstream_request_id

    def response(self) -> JsonResponse:
        response = JsonResponse(
            {"error": {"code": self.code, "message": self.message}}, status=self.status
        )
        if self.retry_after is not None:
            response["Retry-After"] = self.retry_after
        if self.upstream_request_id:
            response["X-Upstream-Request-Id"] = self.upstream_request_id
        return response


def validation_error(message: str) -> ApiError:
    return ApiError(400, "validation_error", message)


def _with_request_id(message: str, request_id: str | None) -> str:
    return f"{message} (upstream request id {request_id})" if request_id else message


def from_client_error(error: IntileryError) -> ApiError:
    """Map a client error to what our caller should do next."""
    rid = error.request_id
    if isinstance(error, ProfileRefError):
        return validation_error(error.message)
    if isinstance(error, NotFoundError):
        return ApiError(404, "not_found", "Profile was not found.", upstream_request_id=rid)
    if isinstance(error, RateLimitError):
        # The upstream budget is shared by every caller: not this caller's fault, so 503.
        wait = error.retry_after if error.retry_after is not None else 1.0
        return ApiError(
            503,
            "upstream_rate_limited",
            _with_request_id("The Profiles API is busy; retry shortly.", rid),
            retry_after=str(max(1, round(wait + 0.499))),
            upstream_request_id=rid,
        )
    if isinstance(error, AuthenticationError):
        logger.error("The Profiles API rejected our configured key (request id %s)", rid)
        return ApiError(
            503,
            "upstream_misconfigured",
            _with_request_id("This service cannot authenticate to the Profiles API.", rid),
            upstream_request_id=rid,
        )
    if isinstance(error, UnavailableError):
        # Below 500: an answer cut off mid-body (dripped past the budget, stalled, broken
        # off), which never arrived; its 2xx status says nothing about the failure.
        if error.http_status is None or error.http_status < 500:
            return ApiError(
                504,
                "upstream_timeout",
                _with_request_id("The Profiles API did not answer in time.", rid),
                upstream_request_id=rid,
            )
        return ApiError(
            502,
            "upstream_error",
            _with_request_id(f"The Profiles API failed ({error.http_status}).", rid),
            upstream_request_id=rid,
        )
    if isinstance(error, ProtocolError):
        return ApiError(
            502,
            "upstream_error",
            _with_request_id("The Profiles API sent a response we could not read.", rid),
            upstream_request_id=rid,
        )
    # An upstream 400 for a reference we already validated: their contract and ours disagree.
    # Its message may quote the customer's reference: only at DEBUG.
    logger.warning("Upstream refused a request (HTTP %s, upstream req %s)", error.http_status, rid)
    logger.debug("The Profiles API said: %s", error.message)
    return ApiError(
        502,
        "upstream_error",
        _with_request_id("The Profiles API refused the request.", rid),
        upstream_request_id=rid,
    )
