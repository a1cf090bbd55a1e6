"""The personalization API's views: parse the input, call one client or insight function."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from profileviewer.api import serializers
from profileviewer.api.errors import ApiError, validation_error
from profileviewer.api.http import api_endpoint, authorize, wants_fresh
from profileviewer.api.openapi import MAX_LIMIT, openapi_document
from profileviewer.client import ProfileRef, get_client
from profileviewer.insights import profile_summary, recently_viewed_not_purchased
from profileviewer.masking import MaskedClient, for_group

PROFILES_PREFIX = "/api/v1/profiles/"
SUB_RESOURCES = ("/recommendations/viewed-not-purchased", "/summary")


def _profile_path(request: HttpRequest, rest: str) -> tuple[str, str]:
    """Split ``{ref}[/sub-resource]`` into the decoded ref and the sub-resource.

    Django hands views a decoded path, where ``userId:a%2Fsummary`` and ``userId:a/summary``
    look alike; when the server passes the raw URI (gunicorn's RAW_URI, REQUEST_URI) the split
    happens before decoding, so a ``/`` inside an id always survives.
    """
    raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI") or ""
    try:
        raw_path = urlsplit(raw).path
    except ValueError:  # not a URI ("http://["): split the decoded path instead
        raw_path = ""
    index = raw_path.find(PROFILES_PREFIX)
    decode = index >= 0
    text = raw_path[index + len(PROFILES_PREFIX) :] if decode else rest
    for sub in SUB_RESOURCES:
        if text.endswith(sub):
            text, resource = text[: -len(sub)], sub
            break
    else:
        resource = ""
    return (unquote(text, errors="replace") if decode else text), resource


def _parse_limit(request: HttpRequest) -> int:
    raw = request.GET.get("limit", "5")
    digits = raw.lstrip("0") or "0"
    # The length first: int() refuses more than 4,300 digits.
    if not (raw.isascii() and raw.isdigit() and len(digits) <= len(str(MAX_LIMIT))):
        raise validation_error(f"limit must be a whole number from 1 to {MAX_LIMIT}.")
    limit = int(digits)
    if not 1 <= limit <= MAX_LIMIT:
        raise validation_error(f"limit must be a whole number from 1 to {MAX_LIMIT}.")
    return limit


@api_endpoint()
def profile_resource(request: HttpRequest, rest: str) -> HttpResponse:
    ref_text, resource = _profile_path(request, rest)
    request.customer_ref = ref_text  # type: ignore[attr-defined]  # for the audit trail
    ref = ProfileRef.parse(ref_text)
    # The full profile names the person; the summary and recommendations do not.
    authorize(request, ref, identifying=resource == "")
    # Every answer masked for the key's role (README, "Roles and masking").
    key = request.service_key  # type: ignore[attr-defined]
    client = MaskedClient(get_client(), for_group(key.role_id))
    fresh = wants_fresh(request)
    if resource == "/summary":
        now = timezone.now()
        summary = profile_summary(client, ref, now=now, fresh=fresh)
        return JsonResponse(serializers.summary_body(ref, summary, now))
    if resource == "/recommendations/viewed-not-purchased":
        limit = _parse_limit(request)
        products = recently_viewed_not_purchased(client, ref, limit=limit, fresh=fresh)
        data = [serializers.viewed_product(product) for product in products]
        return JsonResponse({"ref": str(ref), "limit": limit, "data": data})
    return JsonResponse(serializers.profiles_body(ref, client.meta(ref, fresh=fresh)))


@api_endpoint(authenticated=False)
def openapi(request: HttpRequest) -> HttpResponse:
    return JsonResponse(openapi_document(), json_dumps_params={"indent": 1})


@api_endpoint(authenticated=False)
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    raise ApiError(404, "not_found", "No such API endpoint; see /api/v1/openapi.json.")
