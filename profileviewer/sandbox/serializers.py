"""Model rows -> the JSON shapes of the contract (PAPI-15..18), by plain dict building."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from profileviewer.sandbox.models import Identity, Profile
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


def event_objects(rows: list[tuple[Any, ...]], profiles: list[Profile]) -> list[dict[str, Any]]:
    """Rows of queries.EVENT_COLUMNS -> PAPI-17 event objects."""
    client_id = settings.SANDBOX_CLIENT_ID
    account_id = settings.SANDBOX_ACCOUNT_ID
    brand_id = settings.SANDBOX_BRAND_ID
    by_id = {profile.pk: profile for profile in profiles}
    events = []
    for profile_id, event_id, event_time, received_time, action, source, raw_data in rows:
        profile = by_id[profile_id]
        pid = str(profile_id)
        events.append(
            {
                "id": pid,
                "externalId": profile.external_id,
                "email": profile.email,
                "eventId": str(event_id),
                "eventTime": iso(event_time),
                "receivedTime": iso(received_time),
                "eventAction": action,
                "clientId": client_id,
                "accountId": account_id,
                "brandId": brand_id,
                "customerId": pid,
                "userId": profile.external_id or pid,
                "source": source,
                "rawData": raw_data,
            }
        )
    return events


def external_id_object(identity: Identity) -> dict[str, Any]:
    return {
        "id": identity.value,
        "type": identity.id_type,
        "profileId": str(identity.profile_id),
        "createdTime": iso(identity.created_time),
    }
