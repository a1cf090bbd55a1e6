"""Template helpers for the viewer: times an agent can read, safe links, money."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, tzinfo
from html import escape
from typing import Any
from urllib.parse import quote

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from profileviewer.viewer.chart import Bar
from profileviewer.viewer.presenters import (
    MONTHS,
    ActionStyle,
    DayGroup,
    EventRow,
    RunRow,
    action_style,
    day_label,
)
from profileviewer.viewer.presenters import money as _money

register = template.Library()


def relative(moment: datetime, now: datetime | None = None) -> str:
    """ "3 days ago", "in 2 hours", "just now": coarse, like a person would say it."""
    seconds = ((now or timezone.now()) - moment).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    if seconds < 45:
        return "just now"
    for size, unit in (
        (31_536_000, "year"),
        (2_592_000, "month"),
        (86_400, "day"),
        (3_600, "hour"),
        (60, "minute"),
    ):
        if seconds >= size:
            count = round(seconds / size) if unit != "day" else int(seconds // size)
            text = f"{count} {unit}" + ("" if count == 1 else "s")
            return f"in {text}" if future else f"{text} ago"
    return "just now"


def machine_time(moment: datetime) -> str:
    """A `<time datetime>` value: UTC to the second ("2026-11-29T00:28:25Z"), shorter than
    isoformat()'s microseconds and offset on each of a timeline's 50 rows."""
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    return utc.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def absolute(local: datetime) -> str:
    """The time as the agent reads it ("Sat 28 Nov 2026, 14:03 GMT"); `local` is already in
    their zone. Formatted by hand: strftime was a tenth of a timeline page's time."""
    return (
        f"{_DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local.year}, "
        f"{local.hour:02d}:{local.minute:02d} {local.tzname()}"
    )


@register.simple_tag
def when(moment: datetime | None, style: str = "relative") -> SafeString | str:
    """A `<time>` with the absolute time (agent's zone) on hover; relative or clock text."""
    if moment is None:
        return "never"
    local = timezone.localtime(moment)
    if style == "clock":
        text = f"{local:%H:%M}"
    elif style == "date":
        text = f"{day_label(local)} {local.year}"
    else:
        text = relative(moment)
    return _time_element(moment, local, text)


def _time_element(moment: datetime, local: datetime, text: str, css: str = "") -> SafeString:
    """`<time>` with the machine time and, on hover, the absolute time in the agent's zone.
    Every part is our own formatting of a datetime (digits, month and zone names) or our own
    class name, so no escaping is needed. SafeString rather than mark_safe, whose check for
    lazy arguments took a third of this on each of a timeline's rows."""
    attrs = f' class="{css}"' if css else ""
    return SafeString(
        f'<time{attrs} datetime="{machine_time(moment)}" title="{absolute(local)}">{text}</time>'
    )


@register.simple_tag
def path(name: str) -> str:
    """``{% url name %}`` for a URL without arguments, reversed once per process: the
    profile page has 18 of them (each panel slot's two) and Django's reverse, at ~60 us
    each, was a sixth of the page's time."""
    return _reversed(name, get_script_prefix(), get_urlconf())


@functools.lru_cache(maxsize=64)
def _reversed(name: str, script_prefix: str, urlconf: str | None) -> str:
    return reverse(name, urlconf=urlconf)


@receiver(setting_changed)
def _forget_reversed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("ROOT_URLCONF", "FORCE_SCRIPT_NAME"):
        _reversed.cache_clear()


@register.filter
def money(amount: Any, currency: str = "") -> str:
    return _money(amount, currency)


@register.filter
def safe_href(url: Any) -> str:
    """Only same-site paths, http(s), mailto: and tel: URLs become links; `javascript:` and
    friends do not, nor `//host` or `/\\host`, which browsers resolve to another site."""
    if not isinstance(url, str):
        return ""
    url = url.strip()
    if url.startswith("/") and not url.startswith(("//", "/\\")):
        return url
    if url.lower().startswith(("https://", "http://", "mailto:", "tel:")):
        return url
    return ""


@register.filter
def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


# --- Activity chart -----------------------------------------------------------------------


@register.simple_tag
def chart_bars(bars: list[Bar]) -> SafeString:
    """The chart's bars, up to 90 days x 4 families: as one f-string each rather than the
    template loop, which was most of the cached panel's time."""
    return mark_safe(  # noqa: S308 (numbers, and escaped text)
        "".join(
            f'<rect x="{bar.x}" y="{bar.y}" width="4" height="{bar.height}" '
            f'class="bar fam-{escape(bar.family)}"><title>{escape(bar.title)}</title></rect>'
            for bar in bars
        )
    )


# --- Timeline filters: one <option> and one checkbox per action, on every timeline answer ---


@register.simple_tag
def action_options(actions: dict[str, ActionStyle], selected: str) -> SafeString:
    # An action outside our list (a custom one, or a shared link's) is still the filter in
    # force: shown and selected, so the form says what the timeline is filtered by.
    return mark_safe(  # noqa: S308 (escaped)
        "".join(
            f'<option value="{escape(action)}"{" selected" if action == selected else ""}>'
            f"{escape(style.label)}</option>"
            for action, style in _with_others(actions, (selected,) if selected else ())
        )
    )


@register.simple_tag
def action_checkboxes(actions: dict[str, ActionStyle], checked: tuple[str, ...]) -> SafeString:
    return mark_safe(  # noqa: S308 (escaped)
        "".join(
            f'<label class="check"><input type="checkbox" name="exclude" '
            f'value="{escape(action)}"{" checked" if action in checked else ""}> '
            f"{escape(style.label)}</label>"
            for action, style in _with_others(actions, checked)
        )
    )


def _with_others(
    actions: dict[str, ActionStyle], chosen: tuple[str, ...]
) -> list[tuple[str, ActionStyle]]:
    """The known actions, then any chosen one that is not among them."""
    others = [(action, action_style(action)) for action in chosen if action not in actions]
    return [*actions.items(), *others]


# --- Timeline rows -------------------------------------------------------------------------
# A timeline page renders 50 rows; through the template engine they were most of the panel's
# time (~0.3 ms a row in variable look-ups), and Django's format_html costs a lazy-argument
# check per value, so each row is one f-string here. Every value from the upstream goes
# through html.escape (quotes included); only `when` (our own datetime formatting) and the
# rows built here are inserted as they are.


def _clock(moment: datetime, zone: tzinfo, css: str = "") -> str:
    """`when(moment, "clock")` with the agent's zone looked up once per page, not per row;
    ``css`` is a class for the `<time>` itself (a row's time needs no wrapper)."""
    local = moment.astimezone(zone)
    return _time_element(moment, local, f"{local.hour:02d}:{local.minute:02d}", css)


@functools.lru_cache(maxsize=256)
def _style_html(style: ActionStyle) -> tuple[str, str]:
    """A row's icon and its escaped label: a dozen styles, escaped once, not on each row."""
    icon = (
        f'<svg class="icon fam-{escape(style.family)}" aria-hidden="true">'
        f'<use href="#i-{escape(style.icon)}"></use></svg>'
    )
    return icon, escape(style.label)


# Event ids as the API writes them (UUIDs): nothing in them to quote or escape.
_PLAIN_ID = re.compile(r"[A-Za-z0-9._~-]+")


def _event_html(row: EventRow, event_url: str, zone: tzinfo) -> str:
    """``event_url`` is already escaped."""
    if event_url:
        # static/js/app.js puts the link in a <pre class="json"> and loads its target there
        # when the row is first expanded (the <pre> is not sent with each of 50 rows); without
        # JavaScript the link opens the raw event as a page.
        event_id = row.event_id
        if not _PLAIN_ID.fullmatch(event_id):
            event_id = escape(quote(event_id, safe=""))
        raw = f'<a class="raw" href="{event_url}{event_id}">Show the raw event</a>'
    else:
        raw = (
            '<pre class="json" tabindex="0" aria-label="Raw event" data-json>'
            f"{escape(row.raw_json)}</pre>"
        )
    summary = f'<span class="ev-summary">{escape(row.summary)}</span>' if row.summary else ""
    icon, label = _style_html(row.style)
    return (
        '<li class="event"><details><summary>'
        f'{icon}<span class="ev-label">{label}</span>{summary}'
        f"{_clock(row.time, zone, 'ev-time')}</summary>{raw}</details></li>"
    )


def _run_html(row: RunRow, event_url: str, zone: tzinfo) -> str:
    summary = f'<span class="ev-summary">{escape(row.summary)}</span>' if row.summary else ""
    nested = "".join(_event_html(event, event_url, zone) for event in row.events)
    icon, label = _style_html(row.style)
    return (
        '<li class="event run"><details><summary>'
        f'{icon}<span class="ev-label">{label} '
        f'<span class="count">\u00d7 {row.count}</span></span>'
        f'<span class="ev-time">{_clock(row.first_time, zone)}\u2013'
        f"{_clock(row.last_time, zone)}</span>{summary}"
        f'</summary><ol class="events nested">{nested}</ol></details></li>'
    )


def _rows_html(rows: list[EventRow | RunRow], url: str, zone: tzinfo) -> str:
    return "".join(
        _run_html(row, url, zone) if isinstance(row, RunRow) else _event_html(row, url, zone)
        for row in rows
    )


@register.simple_tag
def timeline_rows(rows: list[EventRow | RunRow], event_url: str = "") -> SafeString:
    """A day's rows: single events and collapsed runs ("Page viewed x 12"), each expandable
    to its raw JSON (fetched from ``event_url`` + the event id, or embedded when empty)."""
    zone = timezone.get_current_timezone()
    return mark_safe(_rows_html(rows, escape(event_url), zone))  # noqa: S308 (escaped above)


@register.simple_tag
def timeline_days(groups: list[DayGroup], event_url: str, prev_day: str = "") -> SafeString:
    """A timeline page's days, each a heading and its rows. ``prev_day`` is the last day of
    the page before (infinite scroll): a day continued from there gets no visible heading."""
    url = escape(event_url)
    zone = timezone.get_current_timezone()
    days = []
    for index, group in enumerate(groups):
        day = group.day.isoformat()
        heading = escape(group.heading)
        if index == 0 and day == prev_day:
            title = f'<h3 class="visually-hidden">{heading}, continued</h3>'
        else:
            title = f'<h3 class="day-heading"><time datetime="{day}">{heading}</time></h3>'
        days.append(
            f'<li class="day">{title}<ol class="events">{_rows_html(group.rows, url, zone)}'
            "</ol></li>"
        )
    return mark_safe("".join(days))  # noqa: S308 (escaped above)
