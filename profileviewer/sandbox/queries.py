"""Reading the sandbox: profile look-ups, event pages, identities and the listing.

Queries follow the indexes in models.py: identities by (id_type, value); events by
(profile, event_time) or (profile, event_action, event_time), fetched a page at a time with
LIMIT/OFFSET and never counted; the listing by a keyset on (last activity, id).
"""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connections, router
from django.db.models import F, Q, QuerySet

from profileviewer.sandbox.models import Event, Identity, Profile
from profileviewer.sandbox.params import EventFilter, Page, Ref
from profileviewer.sandbox.store import iso

# Columns an events or identities page needs from its profiles; traits can be large.
SUMMARY_COLUMNS = ("id", "external_id", "email")
ZERO = timedelta(0)


def _by_activity(queryset: QuerySet[Profile]) -> QuerySet[Profile]:
    # NULLS LAST spelled out: SQLite and PostgreSQL disagree on where NULLs sort by default.
    return queryset.order_by(F("last_activity_time").desc(nulls_last=True), "id")


def profiles_for(ref: Ref, *, summary_only: bool = False) -> list[Profile]:
    """Every profile the reference names, most recently active first (several for email)."""
    alias = router.db_for_read(Profile)
    sql = _profiles_sql(alias, summary_only)
    return list(Profile.objects.using(alias).raw(sql, [ref.id_type, ref.value]))


# Stand-ins compiled into the look-up's SQL, to find where the real values go.
_ID_TYPE_SLOT, _VALUE_SLOT = "\x00id_type", "\x00value"


@functools.lru_cache(maxsize=8)
def _profiles_sql(alias: str, summary_only: bool) -> str:
    """The look-up's SQL, compiled by the ORM once rather than on every request.

    Every sandbox API request starts with this look-up; building its queryset cost ~0.4 ms,
    reading the same SQL through ``raw()`` (same instances, same deferred fields) ~0.07 ms.
    """
    queryset = _by_activity(
        Profile.objects.filter(identities__id_type=_ID_TYPE_SLOT, identities__value=_VALUE_SLOT)
    )
    if summary_only:
        queryset = queryset.only(*SUMMARY_COLUMNS)
    sql, params = queryset.query.get_compiler(using=alias).as_sql()
    if tuple(params) != (_ID_TYPE_SLOT, _VALUE_SLOT):
        raise RuntimeError(f"The profile look-up compiled to unexpected parameters {params!r}.")
    return str(sql)


def event_rows(
    profiles: list[Profile], event_filter: EventFilter, page: Page
) -> list[tuple[Any, ...]]:
    """One page of events, by event time then id (a stable tiebreak), as API text.

    Each row: profile id, event id, event time, received time, action, source, and the
    rawData JSON text, every value already in its wire form.
    """
    connection = connections[router.db_for_read(Event)]
    excluded = tuple(dict.fromkeys(event_filter.exclude))  # as the ORM's __in: no repeats
    sql = _page_sql(
        connection.vendor,
        profiles=len(profiles),
        include=bool(event_filter.include),
        excludes=len(excluded),
        start=event_filter.start is not None,
        end=event_filter.end is not None,
        descending=event_filter.sort != "asc",
    )
    # Values go through the fields, as a queryset's would (a UUID is 32 hex digits on
    # SQLite, a native uuid on PostgreSQL; an aware datetime is made naive UTC on SQLite).
    profile_field = Event._meta.get_field("profile")
    time_field = Event._meta.get_field("event_time")
    params: list[Any] = [profile_field.get_db_prep_value(p.pk, connection) for p in profiles]
    if event_filter.include:
        params.append(event_filter.include)
    params.extend(excluded)
    for moment in (event_filter.start, event_filter.end):
        if moment is not None:
            params.append(time_field.get_db_prep_value(moment, connection))
    params += [page.size, page.offset]
    # The rows are read with a plain cursor and turned into the API's text here: Django's
    # per-value converters (datetimes parsed from SQLite text, then formatted again) were
    # a third of a page's time. rawData comes back as the stored JSON text and is spliced
    # into the response as is, without a decode/encode round trip.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            (
                uuid_text(row[0]),
                uuid_text(row[1]),
                iso_text(row[2]),
                iso_text(row[3]),
                row[4],
                row[5],
                row[6],
            )
            for row in cursor.fetchall()
        ]


@functools.lru_cache(maxsize=256)
def _page_sql(
    vendor: str,
    *,
    profiles: int,
    include: bool,
    excludes: int,
    start: bool,
    end: bool,
    descending: bool,
) -> str:
    """The events page's SQL for one shape of filters (``vendor`` keys the cache only).

    Written out once per shape instead of built by the ORM per request: building the two
    querysets cost ~0.9 ms a page, a fifth of the sandbox's CPU per events request. It is
    the SQL the ORM wrote: the page's ids come from a subquery that walks only the index
    (profile, [action,] event_time, id); the outer query then reads just those rows.
    Fetching whole rows directly made PostgreSQL build every skipped row (rawData as text
    included) before OFFSET discarded it (~50 ms at from=9900). ``CAST(... AS text)`` gives
    the stored JSON text on SQLite and PostgreSQL alike.
    """
    table = Event._meta.db_table
    holders = ", ".join(["%s"] * profiles)
    where = ["profile_id = %s" if profiles == 1 else f"profile_id IN ({holders})"]
    if include:
        where.append("event_action = %s")
    if excludes:
        where.append(f"NOT (event_action IN ({', '.join(['%s'] * excludes)}))")
    if start:
        where.append("event_time > %s")
    if end:
        where.append("event_time < %s")
    order = "DESC" if descending else "ASC"
    # Only the model's table name, placeholders and ASC/DESC are interpolated; every value
    # is a parameter.
    return (
        "SELECT profile_id, event_id, event_time, received_time, event_action, source, "  # noqa: S608
        f'CAST(raw_data AS text) FROM "{table}" WHERE id IN ('
        f'SELECT id FROM "{table}" WHERE {" AND ".join(where)} '
        f"ORDER BY event_time {order}, id {order} LIMIT %s OFFSET %s) "
        f"ORDER BY event_time {order}, id {order}"
    )


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
