"""Parsing what a request asks for: the profile reference and the list parameters.

Every function raises ``SandboxError`` (400) with a message naming the bad part, so a
developer sees what to fix (PAPI-2, 11, 13).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from django.http import QueryDict

from profileviewer.sandbox.errors import BAD_PROFILE_REF, not_found, validation_error

ID_TYPES = ("userId", "email", "id")
MAX_ID_LENGTH = 512
MAX_PAGE_SIZE = 100
WINDOW = 10_000
# ASCII digits only: str.isdigit() also accepts "²" and other digits int() refuses.
_DIGITS = re.compile(r"[0-9]+")
# A "+hh:mm" zone written unencoded in a query string arrives as " hh:mm".
_SPACE_BEFORE_ZONE = re.compile(r" (\d{2}(?::?\d{2})?)$")


@dataclass(frozen=True)
class Ref:
    id_type: str
    value: str


def parse_ref(segment: str) -> Ref:
    """`userId:acct/00042` -> Ref("userId", "acct/00042"); the segment is already decoded."""
    id_type, colon, value = segment.partition(":")
    if not colon or id_type not in ID_TYPES or not value:
        raise validation_error(BAD_PROFILE_REF)
    if len(value) > MAX_ID_LENGTH:
        raise validation_error(f"id is too long: at most {MAX_ID_LENGTH} characters.")
    if "\x00" in value:
        # No stored id can hold a NUL (PostgreSQL text refuses it), so it names no profile.
        raise not_found()
    if id_type == "id":
        try:
            value = str(uuid.UUID(value))
        except ValueError:
            # Intilery ids are UUIDs, so any other value names no profile.
            raise not_found() from None
    return Ref(id_type, value)


def ascii_whole_number(text: str, cap: int) -> int | None:
    """`text` as a whole number if it is only ASCII digits, else None.

    Anything above `cap` comes back as `cap + 1` without being converted, so a long run of
    digits never reaches int() (which refuses more than 4,300 of them).
    """
    if not _DIGITS.fullmatch(text):
        return None
    significant = text.lstrip("0") or "0"
    if len(significant) > len(str(cap)):
        return cap + 1
    return min(int(significant), cap + 1)


def _non_negative_int(params: QueryDict, name: str, default: int) -> int:
    text = params.get(name)
    if text is None:
        return default
    value = ascii_whole_number(text, WINDOW)
    if value is None:
        raise validation_error(f"{name} must be a non-negative whole number, got {text!r}.")
    return value


@dataclass(frozen=True)
class Page:
    offset: int
    size: int


def parse_page(params: QueryDict, *, with_from: bool = True) -> Page:
    """`from` and `size` (PAPI-11): size 1..100, from >= 0, from + size <= 10,000."""
    offset = _non_negative_int(params, "from", 0) if with_from else 0
    size = _non_negative_int(params, "size", MAX_PAGE_SIZE)
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise validation_error(f"size must be between 1 and {MAX_PAGE_SIZE}, got {size}.")
    if offset + size > WINDOW:
        raise validation_error(
            f"from + size must not exceed {WINDOW:,}: from pages through at most "
            f"{WINDOW:,} results."
        )
    return Page(offset, size)


def parse_time(name: str, text: str) -> datetime:
    """ISO 8601 date or datetime, in UTC; no zone means UTC (PAPI-13).

    A moment whose UTC time falls outside datetime's range (0001-01-01T00:00+14:00) is as
    unparsable as any other bad date.
    """
    candidates = [text.strip()]
    if _SPACE_BEFORE_ZONE.search(candidates[0]):
        candidates.append(_SPACE_BEFORE_ZONE.sub(r"+\1", candidates[0]))
    for candidate in candidates:
        try:
            if len(candidate) == 10:
                day = date.fromisoformat(candidate)
                return datetime(day.year, day.month, day.day, tzinfo=UTC)
            return utc_moment(candidate)
        except (ValueError, OverflowError):
            continue
    raise validation_error(
        f"{name} must be an ISO 8601 date or datetime (e.g. 2006-01-02 or "
        f"2006-01-02T15:04:05Z), got {text!r}."
    )


def utc_moment(text: str) -> datetime:
    """An ISO 8601 datetime (no zone means UTC) converted to UTC.

    Raises ValueError when unparsable and OverflowError when its UTC time is out of range,
    which the database layer would otherwise hit later as a 500.
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class EventFilter:
    include: str | None = None
    exclude: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    sort: Literal["asc", "desc"] = "desc"


def parse_event_filter(params: QueryDict) -> EventFilter:
    """`include`, `exclude`, `start`, `end`, `sort` (PAPI-13); other parameters are ignored."""
    include = (params.get("include") or "").strip() or None
    exclude = tuple(
        action
        for action in (part.strip() for part in params.get("exclude", "").split(","))
        if action
    )
    if "\x00" in (include or "") or any("\x00" in action for action in exclude):
        # Event actions are snake_case words; PostgreSQL would refuse a NUL outright.
        raise validation_error("include and exclude must be event actions such as page_viewed.")
    start_text, end_text = params.get("start"), params.get("end")
    start = parse_time("start", start_text) if start_text else None
    end = parse_time("end", end_text) if end_text else None
    sort = params.get("sort", "desc")
    if sort not in ("asc", "desc"):
        raise validation_error(f"sort must be asc or desc, got {sort!r}.")
    return EventFilter(include, exclude, start, end, "asc" if sort == "asc" else "desc")


def encode_cursor(payload: dict[str, object]) -> str:
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> dict[str, object]:
    """The inverse of encode_cursor; anything else is a 400 naming scrollId."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError):  # RecursionError: nested too deep
        raise validation_error("scrollId is not valid.") from None
    if not isinstance(payload, dict):
        raise validation_error("scrollId is not valid.")
    return payload
