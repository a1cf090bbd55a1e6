"""The timeline's filters, read from the query string (so a filtered view can be shared).

Bad values never reach the API: each one becomes a sentence the panel shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlencode

from django.http import QueryDict
from django.utils import timezone

if TYPE_CHECKING:
    from profileviewer.client import EventQuery

PAGE_SIZE = 50
WINDOW = 10_000
MAX_EXCLUDES = 20
# Event actions are snake_case words (PAPI-17); anything else cannot match an event.
_ACTION = re.compile(r"[a-z][a-z0-9_]{0,99}")
_MAX_DATE_TEXT = 40
_MAX_PASSED_ON = 200
# The filters a link can give only once, and what the agent calls each.
_SINGLE = {
    "include": "“show only” action",
    "start": "“from” date",
    "end": "“to” date",
    "sort": "order",
    "offset": "page position",
}
_FILTER_KEYS = ("exclude", *_SINGLE)


@dataclass(frozen=True)
class TimelineFilters:
    include: str = ""
    exclude: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    start_text: str = ""
    end_text: str = ""
    sort: Literal["asc", "desc"] = "desc"
    offset: int = 0

    @property
    def is_filtered(self) -> bool:
        return bool(self.include or self.exclude or self.start or self.end)

    def event_query(self) -> EventQuery:
        from profileviewer.client import EventQuery

        return EventQuery(
            include=self.include or None,
            exclude=self.exclude,
            start=self.start,
            end=self.end,
            sort=self.sort,
        )

    def params(self, **overrides: object) -> list[tuple[str, str]]:
        """The filters as query parameters (offset only when not 0)."""
        values: dict[str, object] = {
            "include": self.include,
            "exclude": self.exclude,
            "start": self.start_text,
            "end": self.end_text,
            "sort": "" if self.sort == "desc" else self.sort,
            "offset": self.offset or "",
        }
        values.update(overrides)
        pairs: list[tuple[str, str]] = []
        for key, value in values.items():
            if isinstance(value, tuple | list):
                pairs.extend((key, str(item)) for item in value)
            elif value not in ("", None, 0):
                pairs.append((key, str(value)))
        return pairs

    def querystring(self, **overrides: object) -> str:
        return urlencode(self.params(**overrides))

    @property
    def unpaged_querystring(self) -> str:
        """The filters without the page position, for a link that gives its own."""
        return self.querystring(offset="")


@dataclass
class FilterResult:
    filters: TimelineFilters
    errors: list[str] = field(default_factory=list)


def filters_as_written(query: QueryDict) -> str:
    """The filter parameters as the URL gave them, for a panel that reports what is wrong
    with them: a page whose filters do not parse passes them on, so its timeline says why,
    rather than showing every event as if the URL had asked for no filter.

    Bounded, yet still wrong wherever the page found them wrong: a key given once may be
    given twice (its first two different values are kept), `exclude` up to one value too
    many, and a value cut short is marked so that it cannot read as a good one.
    """
    pairs = []
    for key in _FILTER_KEYS:
        values = list(dict.fromkeys(query.getlist(key)))
        for value in values[: MAX_EXCLUDES + 1 if key == "exclude" else 2]:
            cut = len(value) > _MAX_PASSED_ON
            pairs.append((key, value[:_MAX_PASSED_ON] + "…" if cut else value))
    return urlencode(pairs)


def _action(value: str, what: str, errors: list[str]) -> str | None:
    value = value.strip()
    if not value:
        return None
    if _ACTION.fullmatch(value):
        return value
    shown = value if len(value) <= 40 else value[:40] + "…"
    errors.append(f"“{shown}” is not an event action ({what}): use names like page_viewed.")
    return None


def _moment(text: str, *, end_of_day: bool, what: str, errors: list[str]) -> datetime | None:
    """A date (`2026-11-03`, the whole day in the agent's zone) or an ISO 8601 datetime."""
    text = text.strip()
    if not text:
        return None
    if len(text) > _MAX_DATE_TEXT:
        errors.append(f"The {what} date is not a date: use YYYY-MM-DD.")
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            if end_of_day:
                day += timedelta(days=1)
            moment = datetime.combine(day, time.min)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        # In UTC here, as the API will need it: a moment at the edge of the calendar
        # (0001-01-01 east of UTC, 9999-12-31 west of it) has no UTC equivalent.
        return moment.astimezone(UTC)
    except ValueError:
        errors.append(f"The {what} date is not a date: use YYYY-MM-DD.")
        return None
    except OverflowError:
        errors.append(
            f"The {what} date is beyond the calendar the timeline searches: in UTC it must"
            " fall between the years 1 and 9999."
        )
        return None


def parse_filters(query: QueryDict) -> FilterResult:
    errors: list[str] = []
    for key, what in _SINGLE.items():
        # A link whose filter was edited by appending: not whichever came last.
        if len(set(query.getlist(key))) > 1:
            errors.append(f"The link gives more than one {what}: keep one.")
    include = _action(query.get("include", ""), "show only", errors) or ""
    excludes: list[str] = []
    for raw in query.getlist("exclude")[: MAX_EXCLUDES + 1]:
        for part in raw.split(","):
            action = _action(part, "hide", errors)
            if action and action not in excludes:
                excludes.append(action)
    if len(excludes) > MAX_EXCLUDES:
        errors.append(f"Hide at most {MAX_EXCLUDES} actions at once.")
        excludes = excludes[:MAX_EXCLUDES]
    start_text = query.get("start", "").strip()[:_MAX_DATE_TEXT]
    end_text = query.get("end", "").strip()[:_MAX_DATE_TEXT]
    start = _moment(query.get("start", ""), end_of_day=False, what="from", errors=errors)
    end = _moment(query.get("end", ""), end_of_day=True, what="to", errors=errors)
    if start and end and start >= end:
        errors.append("The “from” date must be before the “to” date.")
    sort_text = query.get("sort", "desc").strip() or "desc"
    sort: Literal["asc", "desc"] = "desc"
    if sort_text == "asc":
        sort = "asc"
    elif sort_text != "desc":
        errors.append("Sort must be newest first or oldest first.")
    offset = 0
    offset_text = query.get("offset", "0").strip() or "0"
    if not (offset_text.isascii() and offset_text.isdigit()) or len(offset_text) > 6:
        errors.append("The page position must be a whole number of 0 or more.")
    else:
        offset = int(offset_text)
        if offset + PAGE_SIZE > WINDOW:
            errors.append(
                f"The timeline shows the {WINDOW:,} events nearest the start of the sort order;"
                " narrow the dates to see further."
            )
            offset = 0
    filters = TimelineFilters(
        include=include,
        exclude=tuple(excludes),
        start=start,
        end=end,
        start_text=start_text if start else "",
        end_text=end_text if end else "",
        sort=sort,
        offset=offset,
    )
    return FilterResult(filters, errors)
