"""A fake Pipedrive API v1, so the Pipedrive panel can be built and tested offline.

Mounted at ``/sandbox/pipedrive/v1/`` (sandbox mode only, like the rest of the sandbox), it
answers the two calls the panel makes, in Pipedrive's own shapes:

- ``GET persons/<id>``: person 1 is Joe Bloggs, whose first email is an old, non-primary
  one (a consumer must pick the primary, not the first); person 2 is Sam Taylor, whose email
  two profiles in the demo customer data share; person 3 has no email, which Pipedrive sends
  as ``[{"value": "", "primary": true}]``.
- ``GET deals/<id>``: deal 1 has Joe Bloggs as its person, in Pipedrive's object form
  (``person_id: {"name": ..., "email": [...], "value": 1}``); deal 2 has no person
  (``person_id: null``).

Anything else is a 404 in Pipedrive's error shape (``Person not found``, ``Deal not found``).
As at Pipedrive, the API token comes in the ``x-api-token`` header or the ``api_token``
query parameter; it must be ``PIPEDRIVE_API_TOKEN`` when that is set, else
``sandbox-pipedrive-token``, or the answer is a 401. No answer ever contains the token.

Fault injection, for testing a client (one request at a time, before anything else):

- ``?__fault=slow`` waits ``SANDBOX_PIPEDRIVE_SLOW_SECONDS`` (default 3) before answering;
- ``?__fault=down`` answers 503 with Pipedrive's error body.

Any other ``__fault`` value is a 400, so a typo never silently tests nothing.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.common import no_append_slash
from django.views.decorators.csrf import csrf_exempt

from profileviewer.sandbox.errors import json_response

# Not a secret: the documented default the fake accepts when PIPEDRIVE_API_TOKEN is unset.
SANDBOX_TOKEN = "sandbox-pipedrive-token"  # noqa: S105
DEFAULT_SLOW_SECONDS = 3.0
FAULT_PARAMETER = "__fault"
ERROR_INFO = "Please check developers.pipedrive.com for more information about Pipedrive API."

View = Callable[..., HttpResponse]


class PipedriveError(Exception):
    """A request the fake answers with Pipedrive's error body and this status."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def _owner() -> dict[str, Any]:
    return {
        "id": 1,
        "name": "Alex Agent",
        "email": "alex.agent@example.com",
        "has_pic": 0,
        "pic_hash": None,
        "active_flag": True,
        "value": 1,
    }


ORGANIZATION = {
    "name": "Bloggs Outdoor Ltd",
    "people_count": 1,
    "owner_id": 1,
    "address": None,
    "active_flag": True,
    "cc_email": "bloggs-outdoor@pipedrivemail.com",
    "value": 1,
}


def _person(
    person_id: int,
    first_name: str,
    last_name: str,
    email: list[dict[str, Any]],
    phone: list[dict[str, Any]],
    organization: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": person_id,
        "company_id": 1,
        "owner_id": _owner(),
        "org_id": organization,
        "name": f"{first_name} {last_name}",
        "first_name": first_name,
        "last_name": last_name,
        "phone": phone,
        "email": email,
        "active_flag": True,
        "add_time": "2025-11-03 09:15:00",
        "update_time": "2026-01-12 16:40:00",
        "visible_to": "3",
        "org_name": organization["name"] if organization else None,
        "owner_name": "Alex Agent",
    }


# Pipedrive's shape for "no email" and "no phone": one empty primary entry, not an empty list.
NO_VALUE = [{"value": "", "primary": True}]

PERSONS: dict[int, dict[str, Any]] = {
    1: _person(
        1,
        "Joe",
        "Bloggs",
        email=[
            {"label": "other", "value": "joe@old-mail.example", "primary": False},
            {"label": "work", "value": "joe.bloggs@example.com", "primary": True},
        ],
        phone=[{"label": "work", "value": "+44 20 7946 0001", "primary": True}],
        organization=ORGANIZATION,
    ),
    2: _person(
        2,
        "Sam",
        "Taylor",
        email=[{"label": "work", "value": "sam.taylor@example.com", "primary": True}],
        phone=[{"label": "mobile", "value": "+44 7700 900123", "primary": True}],
    ),
    3: _person(3, "No Email", "Person", email=NO_VALUE, phone=NO_VALUE),
}


def _deal_person(person: dict[str, Any]) -> dict[str, Any]:
    """A person as a deal embeds it: a few fields and the person's id as ``value``."""
    return {
        "active_flag": person["active_flag"],
        "name": person["name"],
        "email": person["email"],
        "phone": person["phone"],
        "owner_id": person["owner_id"]["id"],
        "value": person["id"],
    }


def _deal(deal_id: int, title: str, value: int, person: dict[str, Any] | None) -> dict[str, Any]:
    organization = person["org_id"] if person else None
    return {
        "id": deal_id,
        "creator_user_id": _owner(),
        "user_id": _owner(),
        "person_id": _deal_person(person) if person else None,
        "org_id": organization,
        "stage_id": 2,
        "title": title,
        "value": value,
        "currency": "GBP",
        "add_time": "2026-01-05 10:00:00",
        "update_time": "2026-01-12 16:45:00",
        "active": True,
        "deleted": False,
        "status": "open",
        "pipeline_id": 1,
        "person_name": person["name"] if person else None,
        "org_name": organization["name"] if organization else None,
        "owner_name": "Alex Agent",
    }


DEALS: dict[int, dict[str, Any]] = {
    1: _deal(1, "Winter jackets order", 4200, PERSONS[1]),
    2: _deal(2, "Trade show leads", 0, None),
}


def error_body(status: int, message: str) -> dict[str, Any]:
    return {
        "success": False,
        "error": message,
        "errorCode": status,
        "error_info": ERROR_INFO,
        "data": None,
        "additional_data": None,
    }


def _expected_token() -> str:
    return getattr(settings, "PIPEDRIVE_API_TOKEN", None) or SANDBOX_TOKEN


def _authenticate(request: HttpRequest) -> None:
    token = request.headers.get("x-api-token") or request.GET.get("api_token", "")
    if not token or not hmac.compare_digest(token.encode(), _expected_token().encode()):
        raise PipedriveError(401, "unauthorized access")


def _inject_fault(request: HttpRequest) -> None:
    fault = request.GET.get(FAULT_PARAMETER)
    if fault is None:
        return
    if fault == "slow":
        time.sleep(float(getattr(settings, "SANDBOX_PIPEDRIVE_SLOW_SECONDS", DEFAULT_SLOW_SECONDS)))
    elif fault == "down":
        raise PipedriveError(503, "Requested service is not available")
    else:
        raise PipedriveError(400, f"Unknown {FAULT_PARAMETER} {fault!r}: use slow or down.")


def _endpoint(view: View) -> View:
    """Method, injected fault, then the API token, in that order, before the view."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if request.method != "GET":
                raise PipedriveError(405, "Method not allowed", {"Allow": "GET"})
            _inject_fault(request)
            _authenticate(request)
            return view(request, *args, **kwargs)
        except PipedriveError as error:
            response = json_response(error_body(error.status, error.message), error.status)
            for name, value in error.headers.items():
                response[name] = value
            return response

    # CSRF would turn a wrong-method POST into Django's HTML 403 before the 405 above.
    return csrf_exempt(no_append_slash(wrapper))


def _success(data: dict[str, Any]) -> HttpResponse:
    return json_response({"success": True, "data": data, "additional_data": {}})


@_endpoint
def person(request: HttpRequest, person_id: int) -> HttpResponse:
    if person_id not in PERSONS:
        raise PipedriveError(404, "Person not found")
    return _success(PERSONS[person_id])


@_endpoint
def deal(request: HttpRequest, deal_id: int) -> HttpResponse:
    if deal_id not in DEALS:
        raise PipedriveError(404, "Deal not found")
    return _success(DEALS[deal_id])


@csrf_exempt
@no_append_slash
def unknown_path(request: HttpRequest, path: str = "") -> HttpResponse:
    """Anything else under pipedrive/, a non-numeric id included, in Pipedrive's 404 shape."""
    return json_response(error_body(404, "Not found"), 404)
