""" "Viewed, not bought": the products a customer looked at and has not purchased since.

Rules:
- A product counts once, at its most recent ``product_viewed`` event.
- It is left out when an ``order_completed`` event at or after that view lists its
  ``product_id`` among ``items`` (bought after the last look). A product viewed again after
  an earlier purchase is back in the list: the later view is the one that counts.
- Newest view first, at most ``limit`` products.
- For an ``email:`` reference that matches several profiles, the events endpoint already
  merges every matching profile's events (PAPI-16), so views and orders are merged across
  them: a product seen on one profile and bought on another counts as bought.

Upstream cost: the newest page of views and the newest page of orders are read side by side
(one round trip, not two in a row); further view pages are read only until ``limit`` products
are found, and further orders only for views older than the orders already read (``start``
just before the oldest view considered). A typical call is two requests in one round trip.
"""

from __future__ import annotations

from concurrent.futures import Future, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from profileviewer import parallel
from profileviewer.client import EventQuery
from profileviewer.insights.paging import PAGE_SIZE, iter_pages

if TYPE_CHECKING:
    from profileviewer.client import Event, EventPage, ProfileRef
    from profileviewer.client.client import ProfilesClient
    from profileviewer.masking import MaskedClient

# The API's timestamps have millisecond precision and `start` is exclusive (PAPI-13); one
# millisecond earlier makes an order in the same millisecond as the view count as "at or after".
_ONE_MS = timedelta(milliseconds=1)


@dataclass(frozen=True)
class ViewedProduct:
    product_id: str
    name: str
    price: Decimal | None
    currency: str
    category: str
    image_url: str
    url: str
    viewed_at: datetime


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _price(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        price = Decimal(str(value))
    except InvalidOperation:
        return None
    return price if price.is_finite() else None


def _viewed_product(event: Event) -> ViewedProduct | None:
    props = event.properties
    product_id = props.get("product_id")
    if not isinstance(product_id, str) or not product_id:
        return None
    return ViewedProduct(
        product_id=product_id,
        name=_text(props.get("name")) or product_id,
        price=_price(props.get("price")),
        currency=_text(props.get("currency")),
        category=_text(props.get("category")),
        image_url=_text(props.get("image_url")),
        url=_text(props.get("url")),
        viewed_at=event.event_time,
    )


def _ordered_product_ids(event: Event) -> set[str]:
    items = event.properties.get("items")
    if not isinstance(items, list):
        return set()
    return {
        item["product_id"]
        for item in items
        if isinstance(item, dict) and isinstance(item.get("product_id"), str)
    }


class _Purchases:
    """The latest purchase time per product, fetched lazily back to the oldest view needed."""

    def __init__(self, client: ProfilesClient | MaskedClient, ref: ProfileRef, fresh: bool) -> None:
        self.client = client
        self.ref = ref
        self.fresh = fresh
        self.covered_from: datetime | None = None  # every order at or after this is known
        self.complete = False  # every order is known
        self.latest: dict[str, datetime] = {}
        self.seen_ids: set[str] = set()

    def start_newest(self) -> Future[EventPage]:
        """The newest page of orders, read beside the first page of views."""
        query = EventQuery(include="order_completed")
        return parallel.submit(
            self.client.events, self.ref, query, offset=0, size=PAGE_SIZE, fresh=self.fresh
        )

    def take_newest(self, page: EventPage) -> None:
        self._absorb(page.events)
        if page.next_offset is None:
            self.complete = True
        elif page.events:
            # More orders share the oldest time shown here may be on the next page: only the
            # ones after it are all known.
            self.covered_from = min(order.event_time for order in page.events) + _ONE_MS

    def _absorb(self, orders: tuple[Event, ...]) -> None:
        for order in orders:
            if order.event_id in self.seen_ids:
                continue
            self.seen_ids.add(order.event_id)
            for product_id in _ordered_product_ids(order):
                known = self.latest.get(product_id)
                if known is None or order.event_time > known:
                    self.latest[product_id] = order.event_time

    def cover(self, since: datetime) -> None:
        if self.complete or (self.covered_from is not None and since >= self.covered_from):
            return
        # `end` is exclusive: stop just after the span already fetched; duplicates at the
        # boundary are dropped by event id.
        end = self.covered_from + _ONE_MS if self.covered_from is not None else None
        query = EventQuery(include="order_completed", start=since - _ONE_MS, end=end)
        for page in iter_pages(self.client, self.ref, query, fresh=self.fresh):
            self._absorb(page)
        self.covered_from = since

    def bought_since(self, product_id: str, moment: datetime) -> bool:
        bought = self.latest.get(product_id)
        return bought is not None and bought >= moment


def recently_viewed_not_purchased(
    client: ProfilesClient | MaskedClient, ref: ProfileRef, *, limit: int = 5, fresh: bool = False
) -> list[ViewedProduct]:
    """The last ``limit`` distinct products viewed and not bought since, newest view first."""
    if limit < 1:
        return []
    purchases = _Purchases(client, ref, fresh)
    started = purchases.start_newest()
    newest_orders: Future[EventPage] | None = started
    considered: set[str] = set()
    result: list[ViewedProduct] = []
    views = EventQuery(include="product_viewed")
    try:
        for page in iter_pages(client, ref, views, fresh=fresh):
            if newest_orders is not None:
                purchases.take_newest(newest_orders.result())
                newest_orders = None
            purchases.cover(min(event.event_time for event in page))
            for event in sorted(page, key=lambda e: e.event_time, reverse=True):
                product = _viewed_product(event)
                if product is None or product.product_id in considered:
                    continue
                considered.add(product.product_id)
                if not purchases.bought_since(product.product_id, product.viewed_at):
                    result.append(product)
                    if len(result) == limit:
                        return result
        return result
    finally:
        # The orders read beside the first page of views: when that page failed (a customer
        # not found), it must not still be running once the caller has the error.
        wait([started])
