"""Writing to the sandbox: the one place that creates profiles and events.

The seeder and the tests both come through here, so a profile's identities and its
denormalised summary (first and last event per action, last activity, event count) always
agree with its events.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction

from profileviewer.sandbox.models import Event, Identity, Profile

CHANNELS = ("email", "sms", "whatsapp", "facebook", "push")
KNOWN_TRAITS = ("firstName", "lastName", "phone", "website", "organisation", "industry")
# Events whose rawData carries a sendType (PAPI-17).
SEND_TYPES = {
    "email_sent": "email",
    "email_opened": "email",
    "email_clicked": "email",
    "sms_sent": "sms",
}
DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Safari/605.1.15"
)


def iso(moment: datetime) -> str:
    """The API's timestamp format: UTC with milliseconds and a Z (PAPI-17)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def event_label(action: str) -> str:
    """`email_opened` -> `Email Opened`, the rawData.event name."""
    return " ".join(part.capitalize() for part in action.split("_"))


def subscription_id(client_id: str, account_id: str, profile_id: uuid.UUID) -> str:
    return base64.b64encode(f"{client_id}:{account_id}:{profile_id}".encode()).decode()


def marketing_preferences(subscribed: dict[str, bool]) -> dict[str, Any]:
    return {
        "channels": [
            {"subscribed": bool(subscribed.get(channel, False)), "channel": channel}
            for channel in CHANNELS
        ]
    }


@dataclass
class NewEvent:
    """An event to write; `properties` become rawData.properties."""

    action: str
    event_time: datetime
    properties: dict[str, Any] = field(default_factory=dict)
    received_delay: timedelta = timedelta(milliseconds=450)
    source: str = "SEGMENT_API"
    ip: str = ""
    user_agent: str = DEFAULT_USER_AGENT
    event_id: uuid.UUID | None = None


def build_raw_data(profile: Profile, new: NewEvent, event_id: uuid.UUID) -> dict[str, Any]:
    timestamp = iso(new.event_time)
    raw: dict[str, Any] = {
        "userId": profile.external_id or str(profile.id),
        "action": "identify" if new.action == "identify" else "track",
        "event": event_label(new.action),
        "context": {
            "ip": new.ip,
            "user_agent": new.user_agent,
            "traits": {"email": profile.email},
        },
        "properties": new.properties,
        "timestamp": timestamp,
    }
    if new.action in SEND_TYPES:
        raw["sendType"] = SEND_TYPES[new.action]
    return raw


def summary_entry(event: Event) -> dict[str, Any]:
    """What meta's firstEvent/lastEvent hold per action: the raw data plus ids (PAPI-18)."""
    return {
        **event.raw_data,
        "eventId": str(event.event_id),
        "receivedTime": iso(event.received_time),
        "eventTime": iso(event.event_time),
    }


def create_profile(
    *,
    external_id: str = "",
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    website: str = "",
    organisation: str = "",
    industry: str = "",
    subscribed: dict[str, bool] | None = None,
    custom_traits: dict[str, Any] | None = None,
    created_by: dict[str, Any] | None = None,
    audiences: Sequence[str] = (),
    created_time: datetime | None = None,
    profile_id: uuid.UUID | None = None,
    client_id: str = "demo",
    account_id: str = "demo",
    extra_identities: Sequence[tuple[str, str]] = (),
) -> Profile:
    """Create a profile with its identities (userId, email, id and any extra ones)."""
    created = created_time or datetime.now(UTC)
    pid = profile_id or uuid.uuid4()
    traits: dict[str, Any] = {
        "firstName": first_name,
        "lastName": last_name,
        "phone": phone,
        "website": website,
        "organisation": organisation,
        "industry": industry,
        "marketingPreferences": marketing_preferences(subscribed or {}),
        **(custom_traits or {}),
    }
    with transaction.atomic():
        profile = Profile.objects.create(
            id=pid,
            external_id=external_id,
            email=email,
            traits=traits,
            subscription_id=subscription_id(client_id, account_id, pid),
            created_by=created_by or {"filename": "", "createdTime": iso(created), "type": "api"},
            audiences_static=list(audiences),
            created_time=created,
        )
        Identity.objects.bulk_create(
            Identity(profile=profile, id_type=id_type, value=value, created_time=created)
            for id_type, value in identities_of(profile, extra_identities)
        )
    return profile


def identities_of(profile: Profile, extra: Iterable[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    pairs = [("id", str(profile.id))]
    if profile.external_id:
        pairs.append(("userId", profile.external_id))
    if profile.email:
        pairs.append(("email", profile.email))
    pairs.extend(extra)
    return pairs


def build_events(profile: Profile, new_events: Iterable[NewEvent]) -> list[Event]:
    """Unsaved Event rows for a profile (the seeder bulk-creates them itself)."""
    rows = []
    for new in new_events:
        event_id = new.event_id or uuid.uuid4()
        rows.append(
            Event(
                profile=profile,
                event_id=event_id,
                event_action=new.action,
                event_time=new.event_time,
                received_time=new.event_time + new.received_delay,
                source=new.source,
                raw_data=build_raw_data(profile, new, event_id),
            )
        )
    return rows


def apply_summary(profile: Profile, events: Iterable[Event]) -> None:
    """Fold events into the profile's first/last event per action, activity and count.

    Updates the instance only; the caller saves it (or bulk-updates many).
    """
    first = dict(profile.first_event)
    last = dict(profile.last_event)
    first_times = {action: entry.get("eventTime", "") for action, entry in first.items()}
    last_times = {action: entry.get("eventTime", "") for action, entry in last.items()}
    count = 0
    latest = profile.last_activity_time
    for event in events:
        count += 1
        when = iso(event.event_time)
        action = event.event_action
        if action not in first_times or when < first_times[action]:
            first[action] = summary_entry(event)
            first_times[action] = when
        if action not in last_times or when >= last_times[action]:
            last[action] = summary_entry(event)
            last_times[action] = when
        if latest is None or event.event_time > latest:
            latest = event.event_time
    profile.first_event = first
    profile.last_event = last
    profile.last_activity_time = latest
    profile.event_count += count


SUMMARY_FIELDS = ["first_event", "last_event", "last_activity_time", "event_count"]


def add_events(profile: Profile, new_events: Iterable[NewEvent]) -> list[Event]:
    """Write events for a profile and keep its summary current."""
    rows = build_events(profile, new_events)
    with transaction.atomic():
        Event.objects.bulk_create(rows, batch_size=2000)
        apply_summary(profile, rows)
        profile.save(update_fields=SUMMARY_FIELDS)
    return rows
