"""Host simulators at /dev/hosts/ (sandbox mode only): a page that plays Zendesk or Pipedrive,
framing our entry from the other loopback name (localhost against 127.0.0.1, so cross-site,
as the real hosts are), signing host tokens with the development keys, and answering the real
SDKs over postMessage (static/dev/*-host.js)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET

from profileviewer.embed import devkeys

# The demo customers (docs/demo-data.md) as a ticket's requester.
REQUESTERS: tuple[dict[str, Any], ...] = (
    {
        "id": 501,
        "name": "Joe Bloggs",
        "email": "joe.bloggs@example.com",
        "externalId": "qrc-117322",
    },
    {"id": 502, "name": "Sam Taylor", "email": "sam.taylor@example.com", "externalId": None},
    {"id": 503, "name": "Guest shopper", "email": "guest.shopper@example.com", "externalId": None},
    {"id": 504, "name": "Priya Shah", "email": "priya@example.com", "externalId": "acct/00042"},
    {"id": 505, "name": "Nobody Known", "email": "nobody@example.com", "externalId": None},
)
# The fake Pipedrive API's records (sandbox/pipedrive.py).
RECORDS = (
    ("person", 1, "Person 1: Joe Bloggs"),
    ("person", 2, "Person 2: Sam Taylor (two profiles)"),
    ("person", 3, "Person 3: no email"),
    ("deal", 1, "Deal 1: Joe Bloggs's order"),
    ("deal", 2, "Deal 2: no contact person"),
)


def _app_origin(request: HttpRequest) -> str:
    """Our app under the other loopback name, so the frame is cross-site."""
    host, _, port = request.get_host().partition(":")
    other = "localhost" if host != "localhost" else "127.0.0.1"
    return f"{request.scheme}://{other}{':' + port if port else ''}"


def _page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    app = _app_origin(request)
    # The simulator frames the app and posts Zendesk's token to it: both need its origin.
    config: dict[str, Any] = {
        **settings.SECURE_CSP,
        "frame-src": [app],
        "form-action": ["'self'", app],
    }

    @csp_override(config)
    def page(request: HttpRequest) -> HttpResponse:
        return render(request, template, {"app_origin": app, **context})

    return page(request)


@never_cache
@require_GET
def zendesk(request: HttpRequest) -> HttpResponse:
    opened = timezone.now() - timedelta(hours=2)
    tickets = [
        {"id": 1000 + r["id"], "createdAt": opened.isoformat(timespec="seconds"), "requester": r}
        for r in REQUESTERS
    ]
    context = {
        "entry": _app_origin(request) + reverse("embed:zendesk"),
        "token": devkeys.zendesk_token(),
        "tickets": tickets,
    }
    return _page(request, "embed/sim_zendesk.html", context)


@never_cache
@require_GET
def pipedrive(request: HttpRequest) -> HttpResponse:
    context = {
        "entry": _app_origin(request) + reverse("embed:pipedrive"),
        "records": RECORDS,
        "user_id": "2001",
        "company_id": devkeys.PIPEDRIVE_COMPANY_ID,
    }
    return _page(request, "embed/sim_pipedrive.html", context)


@never_cache
@require_GET
def pipedrive_token(request: HttpRequest) -> JsonResponse:
    """A fresh Pipedrive-signed token, as the SDK's GET_SIGNED_TOKEN hands out."""
    return JsonResponse({"token": devkeys.pipedrive_token()})
