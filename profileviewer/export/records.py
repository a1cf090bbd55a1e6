"""How one profile becomes bytes in the output: JSON Lines or CSV, deterministic byte for byte."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from typing import Any, Literal

from profileviewer.client import Event, EventQuery, ProfileRef, Traits

Format = Literal["jsonl", "csv"]
CHANNELS = ("email", "sms", "whatsapp", "facebook", "push")
CSV_COLUMNS = [
    "id",
    "externalId",
    "email",
    "firstName",
    "lastName",
    "phone",
    "website",
    "organisation",
    "industry",
    *(f"{channel}Subscribed" for channel in CHANNELS),
    "customTraits",
]
CSV_EVENT_COLUMNS = ["eventCount", "events"]
_ONE_MS = timedelta(milliseconds=1)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def header(fmt: Format, with_events: bool) -> bytes:
    if fmt == "jsonl":
        return b""
    return _csv_row(CSV_COLUMNS + (CSV_EVENT_COLUMNS if with_events else []))


def _csv_row(values: list[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue().encode()


def render(fmt: Format, traits: Traits, events: list[dict[str, Any]] | None) -> bytes:
    if fmt == "jsonl":
        record: dict[str, Any] = {"profile": traits.raw}
        if events is not None:
            record["events"] = events
        return (_json(record) + "\n").encode()
    subscribed = {pref.channel: pref.subscribed for pref in traits.channels}
    row: list[Any] = [
        traits.id,
        traits.external_id,
        traits.email,
        traits.first_name,
        traits.last_name,
        traits.phone,
        traits.website,
        traits.organisation,
        traits.industry,
        *("true" if subscribed.get(channel) else "false" for channel in CHANNELS),
        _json(traits.custom),
    ]
    if events is not None:
        row += [len(events), _json(events)]
    return _csv_row(row)


def profile_events(client: Any, ref: ProfileRef, since: datetime | None) -> list[dict[str, Any]]:
    """Every event of a profile, oldest first, even past the 10,000-event window (PAPI-11).

    The window limits ``from``, not time: when a scan reaches it, the next scan asks for events
    before the oldest one seen (plus a millisecond, de-duplicated by id, so events sharing that
    millisecond are neither lost nor doubled).
    """
    seen: set[str] = set()
    newest_first: list[Event] = []
    end: datetime | None = None
    while True:
        query = EventQuery(start=since, end=end)
        offset: int | None = 0
        window_reached = False
        while offset is not None:
            page = client.events(ref, query, offset=offset, size=100, fresh=True)
            for event in page.events:
                if event.event_id not in seen:
                    seen.add(event.event_id)
                    newest_first.append(event)
            window_reached = page.window_reached
            offset = page.next_offset
        if not window_reached or not newest_first:
            break
        next_end = newest_first[-1].event_time + _ONE_MS
        if end is not None and next_end >= end:
            break  # 10,000 events in one millisecond: nothing more can be reached
        end = next_end
    return [event.raw for event in reversed(newest_first)]
