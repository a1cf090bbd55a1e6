"""Template helpers for the viewer: times an agent can read, safe links, money."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

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
