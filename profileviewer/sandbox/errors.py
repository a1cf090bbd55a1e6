"""The sandbox's JSON errors (PAPI-10, 19, 20).

Code deep inside a request raises ``SandboxError``; the gateway turns it into the body
``{"error": {"code": ..., "message": ...}}`` with the matching status, so no view builds an
error response by hand and none can forget the request id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from django.http import HttpResponse

INVALID_REQUEST = "invalid_request_error"
VALIDATION = "validation_error"
AUTHENTICATION = "authentication_error"
NOT_FOUND = "not_found"
RATE_LIMIT = "rate_limit_error"
INTERNAL = "internal_server_error"

PROFILE_NOT_FOUND = "Profile was not found."
BAD_PROFILE_REF = "ProfileID must be in format of id_type:id"


class SandboxError(Exception):
    """A request the sandbox answers with a documented error status and code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def validation_error(message: str) -> SandboxError:
    return SandboxError(400, VALIDATION, message)


def invalid_request(message: str) -> SandboxError:
    return SandboxError(400, INVALID_REQUEST, message)


def not_found(message: str = PROFILE_NOT_FOUND) -> SandboxError:
    return SandboxError(404, NOT_FOUND, message)


def json_response(payload: object, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
        status=status,
        content_type="application/json",
    )


def error_response(error: SandboxError) -> HttpResponse:
    response = json_response(
        {"error": {"code": error.code, "message": error.message}}, status=error.status
    )
    for name, value in error.headers.items():
        response[name] = value
    return response
