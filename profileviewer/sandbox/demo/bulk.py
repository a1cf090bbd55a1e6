"""Fast inserts of event rows: a million events through the ORM's bulk_create would take
minutes (a model instance and a compiled placeholder list per row), so events go in as
plain tuples: SQLite's executemany, PostgreSQL's COPY.

`event_params` turns rows into what Django would send for those fields (UUIDs as SQLite's
32 hex characters, datetimes as SQLite's naive-UTC text, JSON as `json.dumps` text; for
PostgreSQL's COPY the same values as text). It needs no database connection, so worker
processes can run it. tests/sandbox/test_seed_demo.py checks written rows against the same
events built by `store.build_events` and saved by the ORM.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from profileviewer.sandbox.models import Event

# (profile id, event id, action, event time, received time, source, rawData) in Python types.
EventTuple = tuple[uuid.UUID, uuid.UUID, str, datetime, datetime, str, dict[str, Any]]

_FIELDS = (
    "profile",
    "event_id",
    "event_action",
    "event_time",
    "received_time",
    "source",
    "raw_data",
)


def _column(name: str) -> str:
    field = Event._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column
    return field.column


def _sqlite_datetime(moment: datetime) -> str:
    # Django's SQLite adapter: the naive UTC time's str() (USE_TZ, connection time zone UTC).
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return str(moment.replace(tzinfo=None))


def event_params(vendor: str, rows: Sequence[EventTuple]) -> list[tuple[Any, ...]]:
    """Database parameters for event rows, for `insert_event_params` on `vendor`."""
    dumps = json.dumps
    if vendor == "sqlite":
        when = _sqlite_datetime
        return [
            (pid.hex, eid.hex, action, when(at), when(received), source, dumps(raw))
            for pid, eid, action, at, received, source, raw in rows
        ]
    if vendor == "postgresql":
        return [
            (str(pid), str(eid), action, at.isoformat(), received.isoformat(), source, dumps(raw))
            for pid, eid, action, at, received, source, raw in rows
        ]
    return list(rows)


def insert_event_params(connection: BaseDatabaseWrapper, params: Sequence[tuple[Any, ...]]) -> None:
    """Insert what `event_params` made (inside the caller's transaction)."""
    if not params:
        return
    quote = connection.ops.quote_name
    table = quote(Event._meta.db_table)
    columns = ", ".join(quote(_column(name)) for name in _FIELDS)
    if connection.vendor == "sqlite":
        placeholders = ", ".join(["%s"] * len(_FIELDS))
        # Table and column names come from the model, never from input.
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)
    elif connection.vendor == "postgresql":
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in params:
                copy.write_row(row)
    else:
        Event.objects.bulk_create(
            (
                Event(
                    profile_id=pid,
                    event_id=eid,
                    event_action=action,
                    event_time=at,
                    received_time=received,
                    source=source,
                    raw_data=raw,
                )
                for pid, eid, action, at, received, source, raw in params
            ),
            batch_size=2000,
        )
