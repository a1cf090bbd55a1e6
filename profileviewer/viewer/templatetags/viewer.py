"""Template helpers for the viewer: times an agent can read, safe links, money, and the
two long lists a panel repeats (timeline rows, chart bars)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from html import escape
from typing import Any
from urllib.parse import quote

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from profileviewer.envconfig import web_origin
from profileviewer.viewer.chart import Bar
from profileviewer.viewer.presenters import MONTHS, EventRow, MarkerRow, RunRow, day_label
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
    """A `<time datetime>` value: UTC to the second ("2026-11-29T00:28:25Z")."""
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    return utc.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def absolute(local: datetime) -> str:
    """The time as the agent reads it ("Sat 28 Nov 2026, 14:03 GMT"); `local` is already in
    their zone. Not strftime: its day and month names follow the process's locale."""
    return (
        f"{_DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local.year}, "
        f"{local.hour:02d}:{local.minute:02d} {local.tzname()}"
    )


@register.simple_tag
def when(moment: datetime | None, style: str = "relative", css: str = "") -> SafeString | str:
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
    return format_html(
        '<time{} datetime="{}" title="{}">{}</time>',
        format_html(' class="{}"', css) if css else "",
        machine_time(moment),
        absolute(local),
        text,
    )


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
def product_image(url: Any) -> str:
    """An image URL from event data when the page may load it, else "" (the placeholder): a
    path on our own origin or a URL on a PRODUCT_IMAGE_HOSTS origin, the CSP's img-src too,
    so a tracked event never makes the agent's browser call a host of its choosing."""
    if not isinstance(url, str):
        return ""
    url = url.strip()
    if url.startswith("/") and not url.startswith(("//", "/\\")) and url.isprintable():
        return url
    return url if web_origin(url) in settings.PRODUCT_IMAGE_HOSTS else ""


@register.filter
def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


# --- The two long lists: 50 timeline rows, up to 360 chart bars ----------------------------
# One f-string per item, not a template loop: the loop made the timeline and activity panels
# twice as slow (docs/performance.md, "rows and bars"). Every value from upstream goes
# through html.escape; only our own markup is inserted as it is.


def _time(moment: datetime, zone: tzinfo, css: str = "") -> str:
    local = moment.astimezone(zone)
    css_attr = f' class="{css}"' if css else ""
    return (
        f'<time{css_attr} datetime="{machine_time(moment)}" title="{escape(absolute(local))}">'
        f"{local.hour:02d}:{local.minute:02d}</time>"
    )


def _label(row: EventRow | RunRow) -> str:
    style = row.style
    return (
        f'<svg class="icon fam-{escape(style.family)}" aria-hidden="true">'
        f'<use href="#i-{escape(style.icon)}"></use></svg>'
        f'<span class="ev-label">{escape(style.label)}'
    )


def _summary(row: EventRow | RunRow) -> str:
    return f'<span class="ev-summary">{escape(row.summary)}</span>' if row.summary else ""


def _event_html(row: EventRow, event_url: str, zone: tzinfo) -> str:
    # static/js/app.js loads the raw event from the link when the row is first opened.
    if event_url:
        href = event_url + escape(quote(row.event_id, safe=""))
        raw = f'<a class="raw" href="{href}">Show the raw event</a>'
    else:  # the agent's role may not see raw events (profileviewer/masking)
        raw = '<p class="muted small">Raw events are not shown to your role.</p>'
    return (
        f'<li class="event"><details><summary>{_label(row)}</span>{_summary(row)}'
        f"{_time(row.time, zone, 'ev-time')}</summary>{raw}</details></li>"
    )


def _run_html(row: RunRow, event_url: str, zone: tzinfo) -> str:
    nested = "".join(_event_html(event, event_url, zone) for event in row.events)
    return (
        f'<li class="event run"><details><summary>{_label(row)} '
        f'<span class="count">\u00d7 {row.count}</span></span>'
        f'<span class="ev-time">{_time(row.first_time, zone)}\u2013{_time(row.last_time, zone)}'
        f'</span>{_summary(row)}</summary><ol class="events nested">{nested}</ol></details></li>'
    )


def _marker_html(row: MarkerRow, zone: tzinfo) -> str:
    return (
        f'<li class="event ticket-marker"><span class="marker-label">{escape(row.label)}</span>'
        f"{_time(row.time, zone, 'ev-time')}</li>"
    )


def _row_html(row: EventRow | RunRow | MarkerRow, url: str, zone: tzinfo) -> str:
    if isinstance(row, RunRow):
        return _run_html(row, url, zone)
    if isinstance(row, MarkerRow):
        return _marker_html(row, zone)
    return _event_html(row, url, zone)


@register.simple_tag
def timeline_rows(rows: list[EventRow | RunRow | MarkerRow], event_url: str) -> SafeString:
    """A day's rows: single events and collapsed runs ("Page viewed x 12"), each expandable
    to its raw event, loaded from ``event_url`` + its id."""
    zone = timezone.get_current_timezone()
    url = escape(event_url)
    return mark_safe(  # noqa: S308 (escaped above)
        "".join(_row_html(row, url, zone) for row in rows)
    )


@register.simple_tag
def chart_bars(bars: list[Bar]) -> SafeString:
    return mark_safe(  # noqa: S308 (numbers and escaped text)
        "".join(
            f'<rect x="{bar.x}" y="{bar.y}" width="4" height="{bar.height}" '
            f'class="bar fam-{escape(bar.family)}"><title>{escape(bar.title)}</title></rect>'
            for bar in bars
        )
    )
