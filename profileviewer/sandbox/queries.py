"""Reading the sandbox: profile look-ups, event pages, identities and the listing.

Queries follow the indexes in models.py: identities by (id_type, value); events by
(profile, event_time) or (profile, event_action, event_time), fetched a page at a time with
LIMIT/OFFSET and never counted; the listing by a keyset on (last activity, id).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connections
from django.db.models import F, Q, QuerySet, TextField
from django.db.models.functions import Cast

from profileviewer.sandbox.models import Event, Identity, Profile
from profileviewer.sandbox.params import EventFilter, Page, Ref
from profileviewer.sandbox.store import iso

EVENT_COLUMNS = (
    "profile_id",
    "event_id",
    "event_time",
    "received_time",
    "event_action",
    "source",
    "raw_data_text",
)
# Columns an events or identities page needs from its profiles; traits can be large.
SUMMARY_COLUMNS = ("id", "external_id", "email")
ZERO = timedelta(0)


def _by_activity(queryset: QuerySet[Profile]) -> QuerySet[Profile]:
    # NULLS LAST spelled out: SQLite and PostgreSQL disagree on where NULLs sort by default.
    return queryset.order_by(F("last_activity_time").desc(nulls_last=True), "id")


def profiles_for(ref: Ref, *, summary_only: bool = False) -> list[Profile]:
    """Every profile the reference names, most recently active first (several for email)."""
    queryset = _by_activity(
        Profile.objects.filter(identities__id_type=ref.id_type, identities__value=ref.value)
    )
    if summary_only:
        queryset = queryset.only(*SUMMARY_COLUMNS)
    return list(queryset)


def event_rows(
    profiles: list[Profile], event_filter: EventFilter, page: Page
) -> list[tuple[Any, ...]]:
    """One page of events, by event time then id (a stable tiebreak), as API text.

    Each row: profile id, event id, event time, received time, action, source, and the
    rawData JSON text, every value already in its wire form.
    """
    if len(profiles) == 1:
        queryset = Event.objects.filter(profile_id=profiles[0].pk)
    else:
        queryset = Event.objects.filter(profile_id__in=[profile.pk for profile in profiles])
    if event_filter.include:
        queryset = queryset.filter(event_action=event_filter.include)
    if event_filter.exclude:
        queryset = queryset.exclude(event_action__in=event_filter.exclude)
    if event_filter.start:
        queryset = queryset.filter(event_time__gt=event_filter.start)
    if event_filter.end:
        queryset = queryset.filter(event_time__lt=event_filter.end)
    ordering = ("event_time", "id") if event_filter.sort == "asc" else ("-event_time", "-id")
    # The page's ids come from a subquery that walks only the index; the outer query then
    # reads just those rows. Fetching whole rows directly made PostgreSQL build every skipped
    # row (rawData as text included) before OFFSET discarded it (~50 ms at from=9900), and
    # two separate queries cost a second round trip.
    page_ids = queryset.order_by(*ordering).values("id")[page.offset : page.offset + page.size]
    # The rows are read with a plain cursor and turned into the API's text here: Django's
    # per-value converters (datetimes parsed from SQLite text, then formatted again) were
    # a third of a page's time. rawData comes back as the stored JSON text and is spliced
    # into the response as is, without a decode/encode round trip.
    rows = (
        Event.objects.filter(id__in=page_ids)
        .annotate(raw_data_text=Cast("raw_data", TextField()))
        .order_by(*ordering)
        .values_list("id", *EVENT_COLUMNS)
    )
    sql, params = rows.query.sql_with_params()
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        return [
            (
                uuid_text(row[1]),
                uuid_text(row[2]),
                iso_text(row[3]),
                iso_text(row[4]),
                row[5],
                row[6],
                row[7],
            )
            for row in cursor.fetchall()
        ]


def uuid_text(value: object) -> str:
    """A UUID as the database returns it (a UUID, or 32 hex digits on SQLite) -> canonical."""
    if isinstance(value, uuid.UUID):
        return str(value)
    text = str(value)
    if len(text) == 32:
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return str(uuid.UUID(text))


def iso_text(value: object) -> str:
    """A timestamp as the database returns it -> store.iso() format (PAPI-17)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:  # naive UTC, as SQLite's converter gives it: the common case
            return value.isoformat(timespec="milliseconds") + "Z"
        if value.utcoffset() == ZERO:
            return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
        return iso(value)
    text = str(value)
    # SQLite keeps Django's naive UTC text: "YYYY-MM-DD HH:MM:SS" plus ".ffffff" when set.
    if len(text) in (19, 26) and text[10] == " " and text[4] == "-":
        millis = text[20:23] if len(text) == 26 else "000"
        return f"{text[:10]}T{text[11:19]}.{millis}Z"
    moment = datetime.fromisoformat(text)
    return iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def identities_of(profiles: list[Profile], page: Page) -> list[Identity]:
    queryset = Identity.objects.filter(profile_id__in=[profile.pk for profile in profiles])
    return list(queryset.order_by("created_time", "id")[page.offset : page.offset + page.size])


def profile_page(after: tuple[datetime | None, uuid.UUID] | None, size: int) -> list[Profile]:
    """The next `size` profiles of the listing after the keyset position `after`."""
    queryset = Profile.objects.all()
    if after is not None:
        last_activity, last_id = after
        if last_activity is None:
            queryset = queryset.filter(last_activity_time__isnull=True, id__gt=last_id)
        else:
            queryset = queryset.filter(
                Q(last_activity_time__lt=last_activity)
                | Q(last_activity_time=last_activity, id__gt=last_id)
                | Q(last_activity_time__isnull=True)
            )
    return list(_by_activity(queryset)[:size])
