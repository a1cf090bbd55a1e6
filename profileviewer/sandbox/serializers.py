"""Model rows -> the JSON shapes of the contract (PAPI-15..18), by plain dict building."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from profileviewer.sandbox.models import Event, Identity, Profile
from profileviewer.sandbox.store import iso

_OWN_KEYS = frozenset({"id", "externalId", "email"})


def traits_object(profile: Profile) -> dict[str, Any]:
    """`id`, `externalId`, `email`, then every known and custom trait (PAPI-15)."""
    body: dict[str, Any] = {
        "id": str(profile.id),
        "externalId": profile.external_id,
        "email": profile.email,
    }
    for key, value in profile.traits.items():
        if key not in _OWN_KEYS:
            body[key] = value
    return body


def meta_object(profile: Profile) -> dict[str, Any]:
    """The traits plus the profile's metadata (PAPI-18)."""
    body = traits_object(profile)
    body["_subscriptionId"] = profile.subscription_id
    body["createdBy"] = profile.created_by
    body["firstEvent"] = profile.first_event
    body["lastEvent"] = profile.last_event
    body["audiencesStatic"] = profile.audiences_static
    body["lastActivityTime"] = (
        iso(profile.last_activity_time) if profile.last_activity_time else None
    )
    return body


def event_object(event: Event, profile: Profile) -> dict[str, Any]:
    """An event as PAPI-17 gives it: the profile's ids, the event, the tenant and rawData."""
    pid = str(profile.pk)
    return {
        "id": pid,
        "externalId": profile.external_id,
        "email": profile.email,
        "eventId": str(event.event_id),
        "eventTime": iso(event.event_time),
        "receivedTime": iso(event.received_time),
        "eventAction": event.event_action,
        "clientId": settings.SANDBOX_CLIENT_ID,
        "accountId": settings.SANDBOX_ACCOUNT_ID,
        "brandId": settings.SANDBOX_BRAND_ID,
        "customerId": pid,
        "userId": profile.external_id or pid,
        "source": event.source,
        "rawData": event.raw_data,
    }


def external_id_object(identity: Identity) -> dict[str, Any]:
    return {
        "id": identity.value,
        "type": identity.id_type,
        "profileId": str(identity.profile_id),
        "createdTime": iso(identity.created_time),
    }
