"""The timeline's filters, read from the query string by a form (so a filtered view can be
shared). Bad values never reach the API: each one becomes a sentence the panel shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlencode

from django import forms
from django.http import QueryDict
from django.utils import timezone

from profileviewer.client import ProfileRef, ProfileRefError

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


def _action(value: str, what: str) -> str:
    if _ACTION.fullmatch(value):
        return value
    shown = value if len(value) <= 40 else value[:40] + "…"
    raise forms.ValidationError(
        f"“{shown}” is not an event action ({what}): use names like page_viewed."
    )


class ActionsField(forms.Field):
    """Actions to hide: repeated, comma-separated, or both."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> tuple[str, ...]:
        actions: list[str] = []
        errors = []
        for raw in (value or [])[: MAX_EXCLUDES + 1]:
            for part in str(raw).split(","):
                part = part.strip()
                if not part:
                    continue
                try:
                    action = _action(part, "hide")
                except forms.ValidationError as error:
                    errors.append(error)
                    continue
                if action not in actions:
                    actions.append(action)
        if len(actions) > MAX_EXCLUDES:
            errors.append(forms.ValidationError(f"Hide at most {MAX_EXCLUDES} actions at once."))
        if errors:
            raise forms.ValidationError(errors)
        return tuple(actions)


class MomentField(forms.CharField):
    """A date (`2026-11-03`, the whole day in the agent's zone) or an ISO 8601 datetime, in
    UTC as the API needs it. ``end_of_day``: a date means the end of that day."""

    def __init__(self, *, what: str, end_of_day: bool = False) -> None:
        super().__init__(required=False)
        self.what = what
        self.end_of_day = end_of_day

    def clean(self, value: Any) -> datetime | None:  # type: ignore[override]
        text = super().clean(value)
        if not text:
            return None
        not_a_date = forms.ValidationError(f"The {self.what} date is not a date: use YYYY-MM-DD.")
        if len(text) > _MAX_DATE_TEXT:
            raise not_a_date
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                if self.end_of_day:
                    day += timedelta(days=1)
                moment = datetime.combine(day, time.min)
            else:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            # A moment at the edge of the calendar (0001-01-01 east of UTC, 9999-12-31 west
            # of it) has no UTC equivalent.
            return moment.astimezone(UTC)
        except ValueError:
            raise not_a_date from None
        except OverflowError:
            raise forms.ValidationError(
                f"The {self.what} date is beyond the calendar the timeline searches: in UTC it"
                " must fall between the years 1 and 9999."
            ) from None


class OffsetField(forms.IntegerField):
    def __init__(self) -> None:
        whole = "The page position must be a whole number of 0 or more."
        window = (
            f"The timeline shows the {WINDOW:,} events nearest the start of the sort order;"
            " narrow the dates to see further."
        )
        super().__init__(
            required=False,
            min_value=0,
            max_value=WINDOW - PAGE_SIZE,
            error_messages={"invalid": whole, "min_value": whole, "max_value": window},
        )

    def to_python(self, value: Any) -> int | None:
        text = str(value or "").strip()
        if text and not (text.isascii() and text.isdigit() and len(text) <= 6):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(text)


class _QueryForm(forms.Form):
    """A form over a query string, which may give a key more than once."""

    def __init__(self, query: QueryDict) -> None:
        super().__init__(query)
        self._query = query


class TimelineFilterForm(_QueryForm):
    include = forms.CharField(required=False)
    exclude = ActionsField(required=False)
    start = MomentField(what="from")
    end = MomentField(what="to", end_of_day=True)
    sort = forms.ChoiceField(
        required=False,
        choices=[("desc", "Newest first"), ("asc", "Oldest first")],
        error_messages={"invalid_choice": "Sort must be newest first or oldest first."},
    )
    offset = OffsetField()

    def clean_include(self) -> str:
        text: str = self.cleaned_data["include"]
        return _action(text, "show only") if text else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for key, what in _SINGLE.items():
            # A link whose filter was edited by appending: not whichever came last.
            if len(set(self._query.getlist(key))) > 1:
                self.add_error(None, f"The link gives more than one {what}: keep one.")
        start, end = data.get("start"), data.get("end")
        if start and end and start >= end:
            self.add_error(None, "The “from” date must be before the “to” date.")
        return data

    def text(self, key: str) -> str:
        """A date as the agent wrote it, for the form to show again."""
        return str(self.data.get(key, "")).strip()[:_MAX_DATE_TEXT]


def parse_filters(query: QueryDict) -> FilterResult:
    form = TimelineFilterForm(query)
    valid = form.is_valid()
    data = form.cleaned_data
    filters = TimelineFilters(
        include=data.get("include") or "",
        exclude=data.get("exclude") or (),
        start=data.get("start"),
        end=data.get("end"),
        start_text=form.text("start") if data.get("start") else "",
        end_text=form.text("end") if data.get("end") else "",
        sort="asc" if data.get("sort") == "asc" else "desc",
        offset=data.get("offset") or 0,
    )
    errors = (
        [] if valid else [str(message) for messages in form.errors.values() for message in messages]
    )
    return FilterResult(filters, errors)


SEVERAL_REFS = "This link names more than one customer (ref); open one of them from the search."


class RefForm(_QueryForm):
    """The customer a request is about: `ref`, a strict reference (`userId:…`, PAPI-2)."""

    ref = forms.CharField(required=False, strip=False)

    def clean_ref(self) -> str:
        # A link naming two (`ref` repeated, as an edited or appended URL can) names none,
        # rather than whichever came last.
        values = [value for value in self._query.getlist("ref") if value.strip()]
        if len(set(values)) > 1:
            raise forms.ValidationError(SEVERAL_REFS)
        return values[0] if values else ""


def ref_text(query: QueryDict) -> str:
    """The `ref` as written; ProfileRefError when the link names more than one."""
    form = RefForm(query)
    if not form.is_valid():
        raise ProfileRefError(str(form.errors["ref"][0]))
    text: str = form.cleaned_data["ref"]
    return text


def profile_ref(query: QueryDict) -> ProfileRef:
    return ProfileRef.parse(ref_text(query))


# The marker is shown in the agent's zone, up to a day from UTC: a moment within a day of the
# calendar's ends cannot be (OverflowError), and no ticket was opened there.
_TICKET_RANGE = (datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC))


def ticket_time(query: QueryDict) -> datetime | None:
    """A helpdesk ticket's creation time (`ticket_at`, ISO 8601 with a zone), to mark on the
    timeline; None when absent or unreadable (the timeline is still worth showing)."""
    text = query.get("ticket_at", "")[:_MAX_DATE_TEXT].replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            return None
        utc = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return moment if _TICKET_RANGE[0] <= utc <= _TICKET_RANGE[1] else None
