"""The sandbox Profiles API's views: parse, look up, serialize, one JSON body each.

The gateway decorators (gateway.py) run the checks every request shares and turn
``SandboxError`` into the JSON error body, so these views only deal with their own input.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_exempt

from profileviewer.sandbox import openapi, products, queries
from profileviewer.sandbox.errors import (
    json_response,
    not_found,
    validation_error,
)
from profileviewer.sandbox.gateway import api_endpoint, public_endpoint
from profileviewer.sandbox.models import Profile
from profileviewer.sandbox.params import (
    Ref,
    decode_cursor,
    encode_cursor,
    parse_event_filter,
    parse_page,
    parse_ref,
    utc_moment,
)
from profileviewer.sandbox.serializers import (
    event_object,
    external_id_object,
    meta_object,
    traits_object,
)


def _profiles_or_404(ref: Ref, *, summary_only: bool = False) -> list[Profile]:
    profiles = queries.profiles_for(ref, summary_only=summary_only)
    if not profiles:
        raise not_found()
    return profiles


@api_endpoint
def traits(request: HttpRequest, ref: str) -> HttpResponse:
    """One traits object, or {"data": [...]} of every profile with an email (PAPI-14)."""
    parsed = parse_ref(ref)
    profiles = _profiles_or_404(parsed)
    if parsed.id_type == "email":
        return json_response({"data": [traits_object(profile) for profile in profiles]})
    return json_response(traits_object(profiles[0]))


@api_endpoint
def meta(request: HttpRequest, ref: str) -> HttpResponse:
    """Traits plus metadata (PAPI-18); by email, {"data": [...]}."""
    parsed = parse_ref(ref)
    profiles = _profiles_or_404(parsed)
    if parsed.id_type == "email":
        return json_response({"data": [meta_object(profile) for profile in profiles]})
    return json_response(meta_object(profiles[0]))


@api_endpoint
def events(request: HttpRequest, ref: str) -> HttpResponse:
    """A page of events, by email merged across profiles (PAPI-11, 12, 13, 16, 17)."""
    parsed = parse_ref(ref)
    page = parse_page(request.GET)
    event_filter = parse_event_filter(request.GET)
    profiles = _profiles_or_404(parsed, summary_only=True)
    events = queries.event_page(profiles, event_filter, page)
    # Opaque like Intilery's; the sandbox pages by `from` and never needs it back.
    scroll_id = encode_cursor(
        {"ref": f"{parsed.id_type}:{parsed.value}", "from": page.offset + len(events)}
    )
    by_id = {profile.pk: profile for profile in profiles}
    data = [event_object(event, by_id[event.profile_id]) for event in events]
    return json_response({"scrollId": scroll_id, "data": data})


@api_endpoint
def external_ids(request: HttpRequest, ref: str) -> HttpResponse:
    """The identities of the profile(s) a reference names (PAPI-3)."""
    parsed = parse_ref(ref)
    page = parse_page(request.GET)
    profiles = _profiles_or_404(parsed, summary_only=True)
    identities = queries.identities_of(profiles, page)
    return json_response({"data": [external_id_object(identity) for identity in identities]})


@dataclass(frozen=True)
class _ListingPosition:
    """Where a scrollId says the listing stands: after a profile, or at its end."""

    after: tuple[datetime | None, uuid.UUID] | None = None
    exhausted: bool = False


def _listing_position(scroll_id: str | None) -> _ListingPosition:
    if not scroll_id:
        return _ListingPosition()
    payload = decode_cursor(scroll_id)
    if payload.get("end") is True:
        return _ListingPosition(exhausted=True)
    try:
        moment = payload["t"]
        last_activity = None if moment is None else utc_moment(str(moment))
        return _ListingPosition(after=(last_activity, uuid.UUID(str(payload["id"]))))
    except (KeyError, ValueError, OverflowError):
        raise validation_error("scrollId is not valid.") from None


@api_endpoint
def profile_list(request: HttpRequest) -> HttpResponse:
    """All profiles, most recently active first, by scrollId (PAPI-4)."""
    size = parse_page(request.GET, with_from=False).size
    scroll_id = request.GET.get("scrollId")
    position = _listing_position(scroll_id)
    profiles = [] if position.exhausted else queries.profile_page(position.after, size)
    if profiles:
        last = profiles[-1]
        moment = last.last_activity_time.isoformat() if last.last_activity_time else None
        next_scroll_id = encode_cursor({"t": moment, "id": str(last.id)})
    else:
        next_scroll_id = scroll_id or encode_cursor({"end": True})
    return json_response(
        {"scrollId": next_scroll_id, "data": [traits_object(profile) for profile in profiles]}
    )


@public_endpoint
def openapi_document(request: HttpRequest) -> HttpResponse:
    return json_response(openapi.document())


# The tile has no scripts, styles or references: opened on its own it may load nothing at all.
# That policy, rather than the app's page policy, and no X-Frame-Options (an image is shown
# by <img>, never framed): the viewer shows five of these, and the page policy was two thirds
# of each answer's bytes.
PRODUCT_IMAGE_CSP = "default-src 'none'"


@public_endpoint
@xframe_options_exempt
@cache_control(public=True, max_age=86_400)
def product_image(request: HttpRequest, product_id: str) -> HttpResponse:
    """A generated tile for a demo product, so images show without internet."""
    svg = products.tile(product_id)
    if svg is None:
        raise not_found("Product was not found.")
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Content-Security-Policy"] = PRODUCT_IMAGE_CSP
    return response


@public_endpoint
def index(request: HttpRequest) -> HttpResponse:
    return json_response(
        {
            "name": "Intilery Profiles API sandbox",
            "openapi": request.build_absolute_uri("openapi.json"),
            "profiles": request.build_absolute_uri("{clientId}/{accountId}/{brandId}/v1/profiles")
            .replace("%7B", "{")
            .replace("%7D", "}"),
        }
    )


@public_endpoint
def unknown_path(request: HttpRequest, path: str = "") -> HttpResponse:
    raise not_found(f"No such endpoint: {request.path}")
