"""How events read to an agent: labels, icons, one-line summaries and the grouped timeline.

Everything here works on the client's `Event` shape, or the `EventBrief` a timeline page
reads (docs/client-interface.md), and the
property names of docs/demo-data.md; nothing calls the API.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal

from django.utils import timezone

if TYPE_CHECKING:
    from profileviewer.client import Event

Family = Literal["browsing", "buying", "email", "other"]

# Dates are written by hand: English whatever the server's locale, and faster than strftime.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_label(day: date) -> str:
    """ "3 Nov", as strftime's "%-d %b" in an English locale."""
    return f"{day.day} {MONTHS[day.month - 1]}"


@dataclass(frozen=True)
class ActionStyle:
    label: str
    icon: str  # an id in the icon sprite of templates/_base.html
    family: Family


ACTIONS: dict[str, ActionStyle] = {
    "page_viewed": ActionStyle("Page viewed", "page", "browsing"),
    "product_viewed": ActionStyle("Product viewed", "eye", "browsing"),
    "added_to_cart": ActionStyle("Added to cart", "cart", "buying"),
    "order_completed": ActionStyle("Order completed", "bag", "buying"),
    "email_sent": ActionStyle("Email sent", "mail", "email"),
    "email_opened": ActionStyle("Email opened", "mail-open", "email"),
    "email_clicked": ActionStyle("Email link clicked", "click", "email"),
    "sms_sent": ActionStyle("SMS sent", "sms", "email"),
    "logged_in": ActionStyle("Logged in", "key", "browsing"),
    "registered": ActionStyle("Registered", "user-plus", "browsing"),
    "identify": ActionStyle("Identified", "id", "other"),
}

FAMILY_LABELS: dict[Family, str] = {
    "browsing": "Browsing",
    "buying": "Buying",
    "email": "Email & SMS",
    "other": "Other",
}

# A run of at least this many consecutive events of one action collapses into one row.
MIN_RUN = 3
SUMMARY_LIMIT = 120


def action_style(action: str) -> ActionStyle:
    known = ACTIONS.get(action)
    if known is not None:
        return known
    label = action.replace("_", " ").strip().capitalize() or "Event"
    return ActionStyle(label, "dot", "other")


def actions_with(chosen: Iterable[str]) -> dict[str, ActionStyle]:
    """The known actions, then any chosen one that is not among them (a custom action, or a
    shared link's): it is still the filter in force, so the form must show it."""
    return {**ACTIONS, **{action: action_style(action) for action in chosen if action}}


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return ""


def money(amount: Any, currency: Any = "") -> str:
    """`12.5, "GBP"` -> `£12.50`; anything unreadable -> ``""``."""
    if isinstance(amount, bool) or not isinstance(amount, int | float | str | Decimal):
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return ""
    if not value.is_finite():
        return ""
    code = currency if isinstance(currency, str) else ""
    symbol = {"GBP": "£", "USD": "$", "EUR": "€"}.get(code.upper())
    if symbol:
        return f"{symbol}{value:,.2f}"
    return f"{value:,.2f} {code}".strip()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def event_summary(event: Event) -> str:
    """One line from the event's properties: what an agent needs without expanding it."""
    props = event.properties if isinstance(event.properties, dict) else {}
    action = event.action
    parts: list[str]
    if action in ("product_viewed", "added_to_cart"):
        parts = [_text(props.get("name")), money(props.get("price"), props.get("currency"))]
        quantity = props.get("quantity")
        if action == "added_to_cart" and isinstance(quantity, int) and quantity > 1:
            parts.append(f"\u00d7 {quantity}")  # the multiplication sign
    elif action == "order_completed":
        items = props.get("item_count")
        if not isinstance(items, int) or isinstance(items, bool):
            listed = props.get("items")
            items = len(listed) if isinstance(listed, list) else None
        parts = [
            money(props.get("total"), props.get("currency")),
            _plural(items, "item") if items is not None else "",
            _text(props.get("order_id")),
        ]
    elif action.startswith("email_"):
        parts = [_text(props.get("email_subject")), _text(props.get("campaign_id"))]
        if action == "email_clicked":
            parts.append(_text(props.get("link_url")))
    elif action == "sms_sent":
        parts = [_text(props.get("text")), _text(props.get("campaign_id"))]
    elif action == "page_viewed":
        parts = [_text(props.get("title")), _text(props.get("path")) or _text(props.get("url"))]
    elif action in ("logged_in", "registered"):
        method = _text(props.get("method")).replace("_", " ")
        parts = [f"with {method}" if method else "", _text(props.get("referrer"))]
    else:
        parts = [f"{key}: {_text(value)}" for key, value in props.items() if _text(value)][:3]
    line = " · ".join(part for part in parts if part)
    if len(line) > SUMMARY_LIMIT:
        line = line[: SUMMARY_LIMIT - 1].rstrip() + "…"
    return line


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False, default=str)


@dataclass(frozen=True)
class EventRow:
    event_id: str
    action: str
    style: ActionStyle
    summary: str
    time: datetime
    kind: Literal["event"] = "event"


@dataclass(frozen=True)
class RunRow:
    """Consecutive events of one action, shown as "Page viewed x 12" and expandable."""

    action: str
    style: ActionStyle
    events: tuple[EventRow, ...]
    kind: Literal["run"] = "run"

    @property
    def count(self) -> int:
        return len(self.events)

    @property
    def first_time(self) -> datetime:
        return min(row.time for row in self.events)

    @property
    def last_time(self) -> datetime:
        return max(row.time for row in self.events)

    @property
    def summary(self) -> str:
        """The run's distinct one-liners ("Boot · £139.00, Jacket · £165.00, …")."""
        distinct: list[str] = []
        for row in self.events:
            if row.summary and row.summary not in distinct:
                distinct.append(row.summary)
        line = ", ".join(distinct[:3]) + (", …" if len(distinct) > 3 else "")
        return line if len(line) <= SUMMARY_LIMIT else line[: SUMMARY_LIMIT - 1].rstrip() + "…"


@dataclass(frozen=True)
class MarkerRow:
    """Not an event: a moment the agent should see among them ("Ticket opened")."""

    label: str
    time: datetime
    kind: Literal["marker"] = "marker"


@dataclass
class DayGroup:
    day: date
    heading: str
    rows: list[EventRow | RunRow | MarkerRow] = field(default_factory=list)

    @property
    def event_count(self) -> int:
        return sum(
            row.count if isinstance(row, RunRow) else 1
            for row in self.rows
            if not isinstance(row, MarkerRow)
        )


def event_row(event: Event) -> EventRow:
    return EventRow(
        event_id=event.event_id,
        action=event.action,
        style=action_style(event.action),
        summary=event_summary(event),
        time=event.event_time,
    )


def day_heading(day: date, today: date) -> str:
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    if day.year == today.year:
        return f"{day:%a} {day.day} {day:%b}"
    return f"{day:%a} {day.day} {day:%b %Y}"


def _collapse(rows: Sequence[EventRow], min_run: int) -> list[EventRow | RunRow]:
    out: list[EventRow | RunRow] = []
    start = 0
    while start < len(rows):
        end = start
        while end + 1 < len(rows) and rows[end + 1].action == rows[start].action:
            end += 1
        run = rows[start : end + 1]
        if len(run) >= min_run:
            out.append(RunRow(run[0].action, run[0].style, tuple(run)))
        else:
            out.extend(run)
        start = end + 1
    return out


def group_timeline(
    events: Iterable[Event],
    *,
    now: datetime | None = None,
    min_run: int = MIN_RUN,
    marker: MarkerRow | None = None,
) -> list[DayGroup]:
    """Events (newest first, or in the order asked) grouped by day in the agent's time zone.

    Runs of one action within a day collapse into one row; a run never spans two days, so
    the day headings stay truthful. A `marker` goes before the first event no newer than it,
    or after the last event when none is.
    """
    zone = timezone.get_current_timezone()  # once, not per event
    today = (now or timezone.now()).astimezone(zone).date()
    groups: list[DayGroup] = []
    pending: list[EventRow] = []
    current: date | None = None

    def add(day: date, rows: list[EventRow | RunRow | MarkerRow]) -> None:
        if groups and groups[-1].day == day:
            groups[-1].rows.extend(rows)
        else:
            groups.append(DayGroup(day, day_heading(day, today), rows))

    def flush() -> None:
        if current is not None and pending:
            add(current, list(_collapse(pending, min_run)))

    for event in events:
        if marker is not None and event.event_time <= marker.time:
            flush()
            pending = []
            current = marker.time.astimezone(zone).date()
            add(current, [marker])
            marker = None
        day = event.event_time.astimezone(zone).date()
        if day != current:
            flush()
            pending = []
            current = day
        pending.append(event_row(event))
    flush()
    if marker is not None:
        add(marker.time.astimezone(zone).date(), [marker])
    return groups
