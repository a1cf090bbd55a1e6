"""Reading the sandbox: profile look-ups, event pages, identities and the listing.

Queries follow the indexes in models.py: identities by (id_type, value); events by
(profile, event_time) or (profile, event_action, event_time), fetched a page at a time with
LIMIT/OFFSET and never counted; the listing by a keyset on (last activity, id).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import F, Q, QuerySet

from profileviewer.sandbox.models import Event, Identity, Profile
from profileviewer.sandbox.params import EventFilter, Page, Ref

# Columns an events or identities page needs from its profiles; traits can be large.
SUMMARY_COLUMNS = ("id", "external_id", "email")


def _by_activity(queryset: QuerySet[Profile]) -> QuerySet[Profile]:
    # NULLS LAST spelled out: SQLite and PostgreSQL disagree on where NULLs sort by default.
    return queryset.order_by(F("last_activity_time").desc(nulls_last=True), "id")


def profiles_for(ref: Ref, *, summary_only: bool = False) -> list[Profile]:
    """Every profile the reference names, most recently active first (several for email)."""
    queryset = Profile.objects.filter(identities__id_type=ref.id_type, identities__value=ref.value)
    if summary_only:
        queryset = queryset.only(*SUMMARY_COLUMNS)
    return list(_by_activity(queryset))


def event_page(profiles: list[Profile], event_filter: EventFilter, page: Page) -> list[Event]:
    """One page of events, by event time then id (a stable tiebreak)."""
    queryset = Event.objects.filter(profile__in=profiles)
    if event_filter.include:
        queryset = queryset.filter(event_action=event_filter.include)
    if event_filter.exclude:
        queryset = queryset.exclude(event_action__in=event_filter.exclude)
    if event_filter.start is not None:
        queryset = queryset.filter(event_time__gt=event_filter.start)
    if event_filter.end is not None:
        queryset = queryset.filter(event_time__lt=event_filter.end)
    order = ("event_time", "id") if event_filter.sort == "asc" else ("-event_time", "-id")
    # The page's ids come from the index alone; only their rows are then read. Reading whole
    # rows made PostgreSQL build every skipped row (rawData included) at a deep `from`.
    ids = queryset.order_by(*order).values("id")[page.offset : page.offset + page.size]
    return list(Event.objects.filter(id__in=ids).order_by(*order))


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
