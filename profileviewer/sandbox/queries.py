"""Reading the sandbox: profile look-ups, event pages, identities and the listing.

Queries follow the indexes in models.py: identities by (id_type, value); events by
(profile, event_time) or (profile, event_action, event_time), fetched a page at a time with
LIMIT/OFFSET and never counted; the listing by a keyset on (last activity, id).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db.models import F, Q, QuerySet, TextField
from django.db.models.functions import Cast

from profileviewer.sandbox.models import Event, Identity, Profile
from profileviewer.sandbox.params import EventFilter, Page, Ref

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
    """One page of events of the profiles, by event time then id (a stable tiebreak)."""
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
    # Two steps: first the page's ids, walking only the index, then those rows. Fetching
    # whole rows directly made PostgreSQL build every skipped row (rawData as text
    # included) before OFFSET discarded it, which cost ~50 ms at from=9900.
    ids = list(
        queryset.order_by(*ordering).values_list("id", flat=True)[
            page.offset : page.offset + page.size
        ]
    )
    if not ids:
        return []
    # rawData comes back as the stored JSON text and is spliced into the response as is:
    # decoding and re-encoding it was a third of an events page's time.
    rows = (
        Event.objects.filter(id__in=ids)
        .annotate(raw_data_text=Cast("raw_data", TextField()))
        .values_list("id", *EVENT_COLUMNS)
    )
    by_id = {row[0]: row[1:] for row in rows}
    return [by_id[event_id] for event_id in ids]


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
