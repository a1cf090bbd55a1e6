"""A customer's derived signals, and a transparent, rule-based churn risk.

Signals (the window is the 90 days before ``now``):
- ``days_since_last_activity``: whole days since the profile's ``lastActivityTime`` (meta);
  ``None`` when it has no activity at all.
- ``orders_90d`` / ``revenue_90d``: ``order_completed`` events in the window and the sum of
  their ``total``. ``currency`` is the currency of the most recent order; orders in another
  currency are counted but not added to the revenue (no exchange rates here).
- ``emails_sent_90d``: ``email_sent`` events; ``emails_opened_90d`` / ``emails_clicked_90d``:
  distinct emails (``email_id``) opened / clicked, so opening one email five times counts once.
  ``open_rate`` / ``click_rate`` are those over sends, capped at 1, ``None`` with no sends.
- ``channels_subscribed``: marketing channels with ``subscribed: true`` (PAPI-15).

Churn risk: each rule that fires adds points and one reason.
- No activity for 90 days or more (or none ever): 3 points.
- No activity for 30 to 89 days: 1 point.
- Ordered before but not in the last 90 days (the last ``order_completed`` from meta): 1 point.
- At least 3 emails sent in the window and none opened: 1 point.
- Subscribed to no marketing channel: 1 point.
3 points or more is ``high``, 1 or 2 ``medium``, 0 ``low``. A ``low`` risk lists what keeps
it low (recent activity, recent orders), so the reasons are never empty.

For an ``email:`` reference that matches several profiles, the signals are merged across
them: the latest activity and last order of any of them, events of all of them (the events
endpoint merges them, PAPI-16), and a channel counts when any of the profiles subscribes.
"""

from __future__ import annotations

from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from profileviewer import parallel
from profileviewer.client import EventQuery
from profileviewer.insights.paging import all_events

if TYPE_CHECKING:
    from profileviewer.client import Event, Meta, ProfileRef
    from profileviewer.client.client import ProfilesClient
    from profileviewer.masking import MaskedClient

WINDOW = timedelta(days=90)
CHANNEL_ORDER = ("email", "sms", "whatsapp", "facebook", "push")
ChurnRisk = Literal["low", "medium", "high"]

# Rule thresholds, named so the docstring above and the code cannot drift apart unnoticed.
LONG_INACTIVE_DAYS = 90
INACTIVE_DAYS = 30
MIN_SENDS_FOR_DISENGAGEMENT = 3
HIGH_POINTS = 3


@dataclass(frozen=True)
class ProfileSummary:
    days_since_last_activity: int | None
    orders_90d: int
    revenue_90d: Decimal
    currency: str | None
    emails_sent_90d: int
    emails_opened_90d: int
    emails_clicked_90d: int
    open_rate: float | None
    click_rate: float | None
    channels_subscribed: list[str]
    churn_risk: ChurnRisk
    churn_reasons: list[str] = field(default_factory=list)


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    amount = Decimal(str(value))
    return amount if amount.is_finite() else None


def _last_order_time(metas: list[Meta]) -> datetime | None:
    times = []
    for meta in metas:
        entry = meta.last_events.get("order_completed") or {}
        when = entry.get("eventTime") if isinstance(entry, dict) else None
        parsed = parse_datetime(when) if isinstance(when, str) else None
        if parsed is not None:
            times.append(parsed)
    return max(times, default=None)


def _channels(metas: list[Meta]) -> list[str]:
    subscribed = {
        pref.channel for meta in metas for pref in meta.traits.channels if pref.subscribed
    }
    known = [channel for channel in CHANNEL_ORDER if channel in subscribed]
    return known + sorted(subscribed - set(CHANNEL_ORDER))


def _distinct_emails(events: list[Event]) -> int:
    # An event without an email_id still counts once on its own.
    keys = {event.properties.get("email_id") or f"event:{event.event_id}" for event in events}
    return len(keys)


def _rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(min(1.0, part / whole), 4)


def _revenue(orders: list[Event]) -> tuple[Decimal, str | None]:
    if not orders:
        return Decimal(0), None
    latest = max(orders, key=lambda event: event.event_time)
    currency = latest.properties.get("currency")
    currency = currency if isinstance(currency, str) and currency else None
    total = Decimal(0)
    for order in orders:
        if order.properties.get("currency") in (currency, None, ""):
            total += _amount(order.properties.get("total")) or Decimal(0)
    return total, currency


def churn_assessment(
    *,
    days_inactive: int | None,
    orders_90d: int,
    last_order_days: int | None,
    emails_sent: int,
    emails_opened: int,
    channels: list[str],
) -> tuple[ChurnRisk, list[str]]:
    """Apply the rules in the module docstring; return the level and the reasons behind it."""
    points = 0
    reasons: list[str] = []
    if days_inactive is None:
        points += 3
        reasons.append("No recorded activity")
    elif days_inactive >= LONG_INACTIVE_DAYS:
        points += 3
        reasons.append(f"No activity for {_days(days_inactive)}")
    elif days_inactive >= INACTIVE_DAYS:
        points += 1
        reasons.append(f"No activity for {_days(days_inactive)}")
    if orders_90d == 0 and last_order_days is not None:
        points += 1
        reasons.append(f"No order in the last 90 days (last order {_days(last_order_days)} ago)")
    if emails_sent >= MIN_SENDS_FOR_DISENGAGEMENT and emails_opened == 0:
        points += 1
        reasons.append(f"Opened none of the {emails_sent} emails sent in the last 90 days")
    if not channels:
        points += 1
        reasons.append("Not subscribed to any marketing channel")
    if points >= HIGH_POINTS:
        return "high", reasons
    if points >= 1:
        return "medium", reasons
    assert days_inactive is not None  # no activity at all scores 3 points above
    kept_low = [
        "Active today" if days_inactive == 0 else f"Active {_days(days_inactive)} ago",
    ]
    if orders_90d:
        kept_low.append(f"{orders_90d} order{'s' if orders_90d != 1 else ''} in the last 90 days")
    return "low", kept_low


def profile_summary(
    client: ProfilesClient | MaskedClient,
    ref: ProfileRef,
    *,
    now: datetime | None = None,
    fresh: bool = False,
) -> ProfileSummary:
    """Signals and churn risk for a customer (merged across profiles for an email ref)."""
    now = now or timezone.now()
    since = now - WINDOW
    # Ask upstream from the start of that minute, so the same query (and its cached pages)
    # serves every summary within the minute; the exact window is applied below.
    query_start = since.replace(second=0, microsecond=0)

    def window(action: str) -> list[Event]:
        query = EventQuery(include=action, start=query_start)
        return [
            event
            for event in all_events(client, ref, query, fresh=fresh)
            if since < event.event_time <= now
        ]

    # Five independent upstream reads: run them side by side so the summary costs about one
    # round trip, not five. The first error raised is the one the caller sees.
    metas_f = parallel.submit(client.meta, ref, fresh=fresh)
    orders_f = parallel.submit(window, "order_completed")
    sent_f = parallel.submit(window, "email_sent")
    opened_f = parallel.submit(window, "email_opened")
    clicked_f = parallel.submit(window, "email_clicked")
    # All five end before any result is read: an error (a customer not found answers 404 to
    # each) does not leave the others still running after the caller has its answer.
    reads: list[Future[Any]] = [metas_f, orders_f, sent_f, opened_f, clicked_f]
    wait(reads)
    metas = metas_f.result()
    orders = orders_f.result()
    sent = sent_f.result()
    opened = opened_f.result()
    clicked = clicked_f.result()

    activity = [m.last_activity_time for m in metas if m.last_activity_time is not None]
    last_activity = max(activity, default=None)
    days_inactive = None if last_activity is None else max(0, (now - last_activity).days)
    last_order = _last_order_time(metas)
    last_order_days = None if last_order is None else max(0, (now - last_order).days)
    revenue, currency = _revenue(orders)
    emails_opened = _distinct_emails(opened)
    emails_clicked = _distinct_emails(clicked)
    channels = _channels(metas)
    risk, reasons = churn_assessment(
        days_inactive=days_inactive,
        orders_90d=len(orders),
        last_order_days=last_order_days,
        emails_sent=len(sent),
        emails_opened=emails_opened,
        channels=channels,
    )
    return ProfileSummary(
        days_since_last_activity=days_inactive,
        orders_90d=len(orders),
        revenue_90d=revenue,
        currency=currency,
        emails_sent_90d=len(sent),
        emails_opened_90d=emails_opened,
        emails_clicked_90d=emails_clicked,
        open_rate=_rate(emails_opened, len(sent)),
        click_rate=_rate(emails_clicked, len(sent)),
        channels_subscribed=channels,
        churn_risk=risk,
        churn_reasons=reasons,
    )
