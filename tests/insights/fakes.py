"""A small in-memory stand-in for the Profiles client, with the same method signatures.

It answers ``events`` and ``meta`` the way the sandbox does (include/start/end filters,
newest first, pages of ``size`` from ``offset``; each event keeps its JSON only with
``raw=True``, as the client's do) and records each call, so tests can assert how many
upstream pages an insight needed.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from profileviewer.client import (
    ChannelPreference,
    Event,
    EventPage,
    EventQuery,
    Meta,
    NotFoundError,
    ProfileRef,
    Traits,
)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)
ALL_EVENTS = EventQuery()


def event(action: str, when: datetime, **properties: Any) -> Event:
    event_id = str(uuid.UUID(int=next(_ids)))
    return Event(
        profile_id="p-1",
        event_id=event_id,
        action=action,
        name=action.replace("_", " ").title(),
        event_time=when,
        received_time=when,
        source="SEGMENT_API",
        properties=properties,
        raw={"eventId": event_id, "eventTime": when.isoformat(), "eventAction": action},
    )


def viewed(product_id: str, when: datetime, **extra: Any) -> Event:
    props = {
        "product_id": product_id,
        "name": f"Product {product_id}",
        "price": 19.99,
        "currency": "GBP",
        "category": "Shoes",
        "image_url": f"/sandbox/products/{product_id}.svg",
        "url": f"https://shop.example.com/p/{product_id}",
        **extra,
    }
    return event("product_viewed", when, **props)


def ordered(when: datetime, *product_ids: str, total: float = 50.0, currency: str = "GBP") -> Event:
    items = [{"product_id": pid, "name": pid, "price": 10, "quantity": 1} for pid in product_ids]
    return event("order_completed", when, order_id="o", total=total, currency=currency, items=items)


def traits(profile_id: str = "p-1", subscribed: tuple[str, ...] = ("email",)) -> Traits:
    channels = tuple(
        ChannelPreference(channel=c, subscribed=c in subscribed)
        for c in ("email", "sms", "whatsapp", "facebook", "push")
    )
    return Traits(
        id=profile_id,
        external_id="ext",
        email="a@example.com",
        first_name="Ada",
        last_name="Lovelace",
        phone="",
        website="",
        organisation="",
        industry="",
        channels=channels,
        custom={},
        raw={},
    )


def meta(
    *,
    profile_id: str = "p-1",
    last_activity: datetime | None = None,
    last_order: datetime | None = None,
    subscribed: tuple[str, ...] = ("email",),
) -> Meta:
    last_events = {}
    if last_order is not None:
        last_events["order_completed"] = {
            "eventTime": last_order.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        }
    return Meta(
        traits=traits(profile_id, subscribed),
        subscription_id="sub",
        created_by=None,
        first_events={},
        last_events=last_events,
        audiences=(),
        last_activity_time=last_activity,
        raw={},
    )


@dataclass
class FakeClient:
    event_list: list[Event] = field(default_factory=list)
    metas: list[Meta] = field(default_factory=list)
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def events(
        self,
        ref: ProfileRef,
        query: EventQuery = ALL_EVENTS,
        *,
        offset: int = 0,
        size: int = 100,
        fresh: bool = False,
        raw: bool = False,
    ) -> EventPage:
        self.calls.append(("events", query))
        found = [
            e
            for e in self.event_list
            if (query.include is None or e.action == query.include)
            and e.action not in query.exclude
            and (query.start is None or e.event_time > query.start)
            and (query.end is None or e.event_time < query.end)
        ]
        found.sort(key=lambda e: e.event_time, reverse=query.sort != "asc")
        # As the real client: an event keeps the JSON the API sent only when asked for it.
        chunk = tuple(e if raw else replace(e, raw=None) for e in found[offset : offset + size])
        return EventPage(events=chunk, offset=offset, size=size, scroll_id="s")

    def meta(self, ref: ProfileRef, *, fresh: bool = False) -> list[Meta]:
        self.calls.append(("meta", ref))
        if not self.metas:
            raise NotFoundError("Profile was not found.")
        return list(self.metas)

    def event_calls(self, include: str) -> int:
        return sum(1 for kind, q in self.calls if kind == "events" and q.include == include)
