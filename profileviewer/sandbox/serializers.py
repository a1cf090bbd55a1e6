"""Model rows -> the JSON shapes of the contract (PAPI-15..18), by plain dict building."""

from __future__ import annotations

import json
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


def events_json(rows: list[tuple[Any, ...]], profiles: list[Profile]) -> str:
    """Rows of queries.event_rows -> the JSON array of PAPI-17 event objects.

    The hot path of the sandbox (an events page is 100 of these): the parts that are the
    same for every event of a profile are encoded once, and rawData, already JSON text in
    the database, is appended without a decode/encode round trip.
    """
    dumps = _compact_dumps
    tenant = (
        f'"clientId":{dumps(settings.SANDBOX_CLIENT_ID)},'
        f'"accountId":{dumps(settings.SANDBOX_ACCOUNT_ID)},'
        f'"brandId":{dumps(settings.SANDBOX_BRAND_ID)},'
    )
    # Per profile: the fields before eventId, and customerId/userId after the tenant.
    framing: dict[str, tuple[str, str]] = {}
    for profile in profiles:
        pid = str(profile.pk)
        framing[pid] = (
            f'{{"id":"{pid}","externalId":{dumps(profile.external_id)},'
            f'"email":{dumps(profile.email)},',
            f'"customerId":"{pid}","userId":{dumps(profile.external_id or pid)},',
        )
    parts = []
    for profile_id, event_id, event_time, received_time, action, source, raw_text in rows:
        head, owner = framing[profile_id]
        parts.append(
            f'{head}"eventId":"{event_id}","eventTime":"{event_time}",'
            f'"receivedTime":"{received_time}","eventAction":{dumps(action)},'
            f'{tenant}{owner}"source":{dumps(source)},"rawData":{raw_text}}}'
        )
    return "[" + ",".join(parts) + "]"


def _compact_dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def external_id_object(identity: Identity) -> dict[str, Any]:
    return {
        "id": identity.value,
        "type": identity.id_type,
        "profileId": str(identity.profile_id),
        "createdTime": iso(identity.created_time),
    }
