"""Paging helpers over the client's ``events`` method.

The client's ``iter_events`` has no ``fresh`` flag, so the insights page through
``client.events`` themselves: one upstream call per page of 100, stopping at the end of
results or at the 10,000-event window (PAPI-11).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from profileviewer.client import Event, EventQuery, ProfileRef

PAGE_SIZE = 100


def iter_pages(
    client: Any, ref: ProfileRef, query: EventQuery, *, fresh: bool = False
) -> Iterator[tuple[Event, ...]]:
    """Yield each non-empty page of events matching ``query``, newest first by default."""
    offset: int | None = 0
    while offset is not None:
        page = client.events(ref, query, offset=offset, size=PAGE_SIZE, fresh=fresh)
        if not page.events:
            return
        yield page.events
        offset = page.next_offset


def all_events(
    client: Any, ref: ProfileRef, query: EventQuery, *, fresh: bool = False
) -> list[Event]:
    return [event for page in iter_pages(client, ref, query, fresh=fresh) for event in page]
