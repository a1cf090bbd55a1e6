"""The client's errors, chosen by what the caller does next (after stripe-python).

Every error carries the HTTP status, the upstream error code and message, and the upstream
``x-amzn-RequestId`` (PAPI-9), which ``str()`` puts first so an agent can quote it to support.
No error ever holds the auth token: messages are built from the upstream body and our own
text, and the transport scrubs the token from anything the upstream echoes back.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

REQUEST_ID_HEADER = "x-amzn-RequestId"


class IntileryError(Exception):
    """Base of every error the client raises; nothing else escapes a client call."""

    default_message = "The Profiles API call failed."

    def __init__(
        self,
        message: str | None = None,
        *,
        http_status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.http_status = http_status
        self.code = code
        self.request_id = request_id
        super().__init__(self.message)

    def __str__(self) -> str:
        if self.request_id:
            return f"[req {self.request_id}] {self.message}"
        return self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, http_status={self.http_status!r}, "
            f"code={self.code!r}, request_id={self.request_id!r})"
        )


class AuthenticationError(IntileryError):
    """401: the API key or the client/account/brand ids are wrong. Fix the configuration."""

    default_message = "The Profiles API rejected our API key; check the Intilery settings."


class InvalidRequestError(IntileryError):
    """400 invalid_request_error, 413: the request itself is wrong."""

    default_message = "The Profiles API refused the request as invalid."


class ValidationError(InvalidRequestError):
    """400 validation_error: a field (id, paging, filter) failed validation."""

    default_message = "The Profiles API refused a value in the request."


class ProfileRefError(ValidationError):
    """Our own check of a profile reference, before any call; the message is for the agent."""

    default_message = "Enter an email, an external id or an Intilery id."


class NotFoundError(IntileryError):
    """404: no such customer."""

    default_message = "Customer not found."


class RateLimitError(IntileryError):
    """429 upstream, or our own token bucket stayed empty for the whole call budget."""

    default_message = "Too many requests to the Profiles API; try again in a moment."

    def __init__(
        self,
        message: str | None = None,
        *,
        http_status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, http_status=http_status, code=code, request_id=request_id)
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return super().__repr__()[:-1] + f", retry_after={self.retry_after!r})"


class UnavailableError(IntileryError):
    """5xx, timeouts, connection errors: the upstream is down or slow. Try again later."""

    default_message = "The Profiles API is unavailable; try again in a moment."


class ProtocolError(IntileryError):
    """The upstream answered with something we cannot use: not JSON, wrong shape, too large."""

    default_message = "The Profiles API sent a response we could not read."


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds or seconds == float("inf"):  # NaN, inf
        return None
    return max(0.0, seconds)


def _error_body(content: bytes) -> tuple[str | None, str | None]:
    """The ``code`` and ``message`` of a PAPI-19 body, or (None, None) if it is not one."""
    try:
        body: Any = json.loads(content)
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's depth
        return None, None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None
    code = error.get("code")
    message = error.get("message")
    return (
        code if isinstance(code, str) else None,
        message if isinstance(message, str) and message.strip() else None,
    )


def error_for(
    status: int,
    content: bytes,
    *,
    request_id: str | None = None,
    retry_after_header: str | None = None,
) -> IntileryError:
    """The error for an upstream status and body (PAPI-19, PAPI-20).

    The status decides the class; the body's code refines a 400. A body that is not the
    documented JSON (an HTML page from a proxy) still gives the status's error, with our own
    message, since the status alone tells the caller what to do next.
    """
    code, upstream_message = _error_body(content)
    kwargs: dict[str, Any] = {"http_status": status, "code": code, "request_id": request_id}
    message = upstream_message
    if status == 401 or status == 403:
        return AuthenticationError(message, **kwargs)
    if status == 404:
        return NotFoundError(message, **kwargs)
    if status == 429:
        return RateLimitError(message, retry_after=parse_retry_after(retry_after_header), **kwargs)
    if status == 400 and code == "validation_error":
        return ValidationError(message, **kwargs)
    if status == 413:
        return InvalidRequestError(message or "The request was too large (over 1 MB).", **kwargs)
    if 400 <= status < 500:
        message = message or f"The Profiles API refused the request (HTTP {status})."
        return InvalidRequestError(message, **kwargs)
    if status >= 500:
        if message is None:
            message = f"The Profiles API is unavailable (HTTP {status}); try again in a moment."
        return UnavailableError(message, **kwargs)
    return ProtocolError(f"Unexpected HTTP status {status} from the Profiles API.", **kwargs)


def error_from_response(response: requests.Response) -> IntileryError:
    """Map an upstream error response to the error the caller should handle.

    Reads ``response.content``; the client's transport has already read it under its size
    cap, so this never pulls an unbounded body.
    """
    try:
        content = response.content or b""
    except (requests.RequestException, RuntimeError):
        content = b""
    return error_for(
        response.status_code,
        content,
        request_id=response.headers.get(REQUEST_ID_HEADER),
        retry_after_header=response.headers.get("Retry-After"),
    )
