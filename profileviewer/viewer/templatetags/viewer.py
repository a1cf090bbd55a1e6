"""Template helpers for the viewer: times an agent can read, safe links, money."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from profileviewer.viewer.presenters import EventRow, RunRow
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


def absolute(local: datetime) -> str:
    """The time as the agent reads it; `local` is already in their zone."""
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M} {local.tzname()}"


@register.simple_tag
def when(moment: datetime | None, style: str = "relative") -> SafeString | str:
    """A `<time>` with the absolute time (agent's zone) on hover; relative or clock text."""
    if moment is None:
        return "never"
    local = timezone.localtime(moment)
    if style == "clock":
        text = f"{local:%H:%M}"
    elif style == "date":
        text = f"{local.day} {local:%b %Y}"
    else:
        text = relative(moment)
    # Every part is our own formatting of a datetime (digits, month and zone names), so no
    # escaping is needed; this tag runs for every event of a timeline page.
    return mark_safe(  # noqa: S308
        f'<time datetime="{moment.isoformat()}" title="{absolute(local)}">{text}</time>'
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
def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


# --- Timeline rows -------------------------------------------------------------------------
# A timeline page renders 50 rows; through the template engine they were most of the panel's
# time (~0.3 ms a row in variable look-ups), so each row is one format_html here instead.
# Every value goes through format_html's escaping; only `when` (our own datetime formatting)
# and the nested rows (built here) are passed as safe.


def _event_html(row: EventRow, event_url: str) -> SafeString:
    if event_url:
        # static/js/app.js loads the link's target into the <pre> when the row is expanded;
        # without JavaScript the link opens the raw event as a page.
        raw = format_html(
            '<pre class="json" tabindex="0" aria-label="Raw event">'
            '<a href="{}{}">Show the raw event</a></pre>',
            event_url,
            quote(row.event_id, safe=""),
        )
    else:
        raw = format_html(
            '<pre class="json" tabindex="0" aria-label="Raw event" data-json>{}</pre>',
            row.raw_json,
        )
    summary = format_html('<span class="ev-summary">{}</span>', row.summary) if row.summary else ""
    return format_html(
        '<li class="event"><details><summary>'
        '<svg class="icon fam-{}" aria-hidden="true"><use href="#i-{}"></use></svg>'
        '<span class="ev-label">{}</span>{}<span class="ev-time">{}</span>'
        "</summary>{}</details></li>",
        row.style.family,
        row.style.icon,
        row.style.label,
        summary,
        when(row.time, "clock"),
        raw,
    )


def _run_html(row: RunRow, event_url: str) -> SafeString:
    summary = format_html('<span class="ev-summary">{}</span>', row.summary) if row.summary else ""
    nested = mark_safe("".join(_event_html(event, event_url) for event in row.events))  # noqa: S308
    return format_html(
        '<li class="event run"><details><summary>'
        '<svg class="icon fam-{}" aria-hidden="true"><use href="#i-{}"></use></svg>'
        '<span class="ev-label">{} <span class="count">\u00d7 {}</span></span>'
        '<span class="ev-time">{}\u2013{}</span>{}'
        '</summary><ol class="events nested">{}</ol></details></li>',
        row.style.family,
        row.style.icon,
        row.style.label,
        row.count,
        when(row.first_time, "clock"),
        when(row.last_time, "clock"),
        summary,
        nested,
    )


@register.simple_tag
def timeline_rows(rows: list[EventRow | RunRow], event_url: str = "") -> SafeString:
    """A day's rows: single events and collapsed runs ("Page viewed x 12"), each expandable
    to its raw JSON (fetched from ``event_url`` + the event id, or embedded when empty)."""
    return mark_safe(  # noqa: S308
        "".join(
            _run_html(row, event_url) if isinstance(row, RunRow) else _event_html(row, event_url)
            for row in rows
        )
    )
