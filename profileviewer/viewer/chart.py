"""The activity chart: events per day over the last 90 days, by action family, as SVG data.

The template draws stacked bars from these numbers; no chart library reaches the browser.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from profileviewer.viewer.presenters import FAMILY_LABELS, Family, action_style, day_label

if TYPE_CHECKING:
    from profileviewer.client import Event

DAYS = 90
FAMILIES: tuple[Family, ...] = ("browsing", "buying", "email", "other")
# The SVG's own coordinate space; CSS scales it to the panel's width.
BAR_WIDTH = 4
GAP = 1
PLOT_HEIGHT = 80
AXIS_HEIGHT = 14


@dataclass(frozen=True)
class Bar:
    x: int
    y: float
    height: float
    family: Family
    title: str


@dataclass(frozen=True)
class FamilyTotal:
    family: Family
    label: str
    count: int


@dataclass(frozen=True)
class Tick:
    x: int
    label: str


@dataclass(frozen=True)
class ActivityChart:
    bars: tuple[Bar, ...]
    totals: tuple[FamilyTotal, ...]
    ticks: tuple[Tick, ...]
    width: int
    height: int
    plot_height: int
    max_per_day: int
    total: int
    busiest_day: date | None
    first_day: date
    last_day: date
    truncated: bool

    @property
    def description(self) -> str:
        """The chart in words, for screen readers and anyone who prefers text."""
        if self.total == 0:
            return f"No events in the last {DAYS} days."
        parts = ", ".join(f"{t.count} {t.label.lower()}" for t in self.totals if t.count)
        text = f"{self.total} events in the last {DAYS} days: {parts}."
        if self.busiest_day is not None:
            text += f" Busiest day {day_label(self.busiest_day)} with {self.max_per_day}."
        if self.truncated:
            text += " Only the most recent events were counted."
        return text


def window_start(now: datetime | None = None) -> datetime:
    """Midnight (agent's time zone) at the start of the first day shown."""
    today = timezone.localdate(now or timezone.now())
    first = today - timedelta(days=DAYS - 1)
    return timezone.make_aware(datetime.combine(first, datetime.min.time()))


def activity_chart(
    events: Iterable[Event], *, now: datetime | None = None, truncated: bool = False
) -> ActivityChart:
    zone = timezone.get_current_timezone()  # once, not per event
    today = (now or timezone.now()).astimezone(zone).date()
    first = today - timedelta(days=DAYS - 1)
    # Up to 1,000 events: one family look-up per action and one Counter per day, not per event.
    per_day: dict[date, Counter[Family]] = {}
    totals: Counter[Family] = Counter()
    families: dict[str, Family] = {}
    for event in events:
        day = event.event_time.astimezone(zone).date()
        if not first <= day <= today:
            continue
        family = families.get(event.action)
        if family is None:
            family = families[event.action] = action_style(event.action).family
        counts = per_day.get(day)
        if counts is None:
            counts = per_day[day] = Counter()
        counts[family] += 1
        totals[family] += 1

    max_per_day = max((sum(c.values()) for c in per_day.values()), default=0)
    busiest = max(per_day, key=lambda d: (sum(per_day[d].values()), d), default=None)
    scale = PLOT_HEIGHT / max_per_day if max_per_day else 0.0
    bars: list[Bar] = []
    for index in range(DAYS):
        day = first + timedelta(days=index)
        counts = per_day.get(day)
        if not counts:
            continue
        x = index * (BAR_WIDTH + GAP)
        top = float(PLOT_HEIGHT)
        label = day_label(day)
        for family in FAMILIES:
            count = counts.get(family, 0)
            if not count:
                continue
            height = round(count * scale, 2)
            top = round(top - height, 2)
            title = f"{label}: {count} {FAMILY_LABELS[family].lower()}"
            bars.append(Bar(x, top, height, family, title))

    ticks = tuple(
        Tick(index * (BAR_WIDTH + GAP), day_label(first + timedelta(days=index)))
        for index in (0, 30, 60, DAYS - 1)
    )
    return ActivityChart(
        bars=tuple(bars),
        totals=tuple(FamilyTotal(f, FAMILY_LABELS[f], totals.get(f, 0)) for f in FAMILIES),
        ticks=ticks,
        width=DAYS * (BAR_WIDTH + GAP) - GAP,
        height=PLOT_HEIGHT + AXIS_HEIGHT,
        plot_height=PLOT_HEIGHT,
        max_per_day=max_per_day,
        total=sum(totals.values()),
        busiest_day=busiest,
        first_day=first,
        last_day=today,
        truncated=truncated,
    )
