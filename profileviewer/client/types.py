"""Typed results of the Profiles API (PAPI-14..18), each keeping the raw JSON for display.

The parsers here are the one place that knows the upstream's shapes. They accept what the
contract allows (missing optional fields, extra custom traits) and raise ``ProtocolError``
for anything else, so a malformed upstream never surfaces as a ``KeyError`` in a view.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

from profileviewer.client.errors import ProtocolError
from profileviewer.client.transport import UnreadableAnswer, read_json

EVENT_WINDOW = 10_000  # PAPI-11: `from` pages through at most 10,000 results
MAX_PAGE_SIZE = 100  # PAPI-11, PAPI-12

KNOWN_TRAIT_KEYS = frozenset(
    {
        "id",
        "externalId",
        "email",
        "firstName",
        "lastName",
        "phone",
        "website",
        "organisation",
        "industry",
        "marketingPreferences",
    }
)
META_KEYS = frozenset(
    {
        "_subscriptionId",
        "createdBy",
        "firstEvent",
        "lastEvent",
        "audiencesStatic",
        "lastActivityTime",
    }
)


def parse_time(value: Any, *, what: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (no zone means UTC, PAPI-13)."""
    if not isinstance(value, str) or not value:
        raise ProtocolError(f"The Profiles API sent no usable {what}.")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ProtocolError(f"The Profiles API sent an unreadable {what}.") from None
    zone = moment.tzinfo
    if zone is UTC:  # "...Z", as the API writes them: nothing to convert
        return moment
    if zone is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+14:00 has no UTC equivalent
        raise ProtocolError(f"The Profiles API sent an unreadable {what}.") from None


def parse_optional_time(value: Any, *, what: str) -> datetime | None:
    if value is None or value == "":
        return None
    return parse_time(value, what=what)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise ProtocolError("The Profiles API sent a trait of the wrong type.")


def _object(value: Any, *, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProtocolError(f"The Profiles API sent {what} that is not a JSON object.")
    return value


def _optional_object(value: Any, *, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    return _object(value, what=what)


@dataclass(frozen=True)
class ChannelPreference:
    channel: str
    subscribed: bool


@dataclass(frozen=True)
class Traits:
    id: str
    external_id: str
    email: str
    first_name: str
    last_name: str
    phone: str
    website: str
    organisation: str
    industry: str
    channels: tuple[ChannelPreference, ...]
    custom: dict[str, Any]
    raw: dict[str, Any] = field(repr=False)

    @property
    def display_name(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.email or self.external_id or self.id

    @classmethod
    def from_json(cls, data: Any, *, extra_known: frozenset[str] = frozenset()) -> Traits:
        data = _object(data, what="a profile")
        prefs = _optional_object(data.get("marketingPreferences"), what="marketing preferences")
        channels_raw = prefs.get("channels") or []
        if not isinstance(channels_raw, list):
            raise ProtocolError("The Profiles API sent marketing channels that are not a list.")
        channels = []
        for item in channels_raw:
            item = _object(item, what="a marketing channel")
            channels.append(
                ChannelPreference(
                    channel=_text(item.get("channel")), subscribed=item.get("subscribed") is True
                )
            )
        skip = KNOWN_TRAIT_KEYS | extra_known
        return cls(
            id=_text(data.get("id")),
            external_id=_text(data.get("externalId")),
            email=_text(data.get("email")),
            first_name=_text(data.get("firstName")),
            last_name=_text(data.get("lastName")),
            phone=_text(data.get("phone")),
            website=_text(data.get("website")),
            organisation=_text(data.get("organisation")),
            industry=_text(data.get("industry")),
            channels=tuple(channels),
            custom={key: value for key, value in data.items() if key not in skip},
            raw=data,
        )


@dataclass(frozen=True)
class CreatedBy:
    type: str
    filename: str
    created_time: datetime | None


@dataclass(frozen=True)
class Meta:
    traits: Traits
    subscription_id: str
    created_by: CreatedBy | None
    first_events: dict[str, dict[str, Any]]
    last_events: dict[str, dict[str, Any]]
    audiences: tuple[str, ...]
    last_activity_time: datetime | None
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Meta:
        data = _object(data, what="profile metadata")
        created_raw = data.get("createdBy")
        created_by = None
        if created_raw:
            created_raw = _object(created_raw, what="createdBy")
            created_by = CreatedBy(
                type=_text(created_raw.get("type")),
                filename=_text(created_raw.get("filename")),
                created_time=parse_optional_time(
                    created_raw.get("createdTime"), what="creation time"
                ),
            )
        audiences = data.get("audiencesStatic") or []
        if not isinstance(audiences, list):
            raise ProtocolError("The Profiles API sent audiences that are not a list.")
        return cls(
            traits=Traits.from_json(data, extra_known=META_KEYS),
            subscription_id=_text(data.get("_subscriptionId")),
            created_by=created_by,
            first_events=_event_summary(data.get("firstEvent"), what="firstEvent"),
            last_events=_event_summary(data.get("lastEvent"), what="lastEvent"),
            audiences=tuple(_text(name) for name in audiences),
            last_activity_time=parse_optional_time(
                data.get("lastActivityTime"), what="last activity time"
            ),
            raw=data,
        )


def _event_summary(value: Any, *, what: str) -> dict[str, dict[str, Any]]:
    summary = _optional_object(value, what=what)
    return {action: _object(entry, what=what) for action, entry in summary.items()}


@dataclass(frozen=True, slots=True)
class Event:
    profile_id: str
    event_id: str
    action: str
    name: str
    event_time: datetime
    received_time: datetime | None
    source: str
    properties: dict[str, Any]
    # The event as the API sent it, when the caller asked for it (``events(raw=True)``).
    raw: dict[str, Any] | None = field(default=None, repr=False)


# The wire shape of an event (PAPI-16), decoded by msgspec. Fields not named here are skipped
# unread unless the caller keeps the raw event.
class _RawDataJSON(msgspec.Struct):
    event: str | None = None
    properties: dict[str, Any] | None = None


class _EventHeadJSON(msgspec.Struct):
    """An event without its rawData (its name and properties), which is skipped unread."""

    eventTime: str
    id: str | None = None
    customerId: str | None = None
    eventId: str | None = None
    eventAction: str | None = None
    receivedTime: str | None = None
    source: str | None = None


class _EventJSON(_EventHeadJSON):
    rawData: _RawDataJSON | None = None


class _EventPageJSON(msgspec.Struct):
    data: list[_EventJSON]
    scrollId: str | None = None


class _EventHeadsPageJSON(msgspec.Struct):
    data: list[_EventHeadJSON]
    scrollId: str | None = None


_EVENT_PAGE = msgspec.json.Decoder(_EventPageJSON)
_EVENT_HEADS_PAGE = msgspec.json.Decoder(_EventHeadsPageJSON)
_NO_RAW_DATA = _RawDataJSON()


def _event(item: _EventHeadJSON, raw: dict[str, Any] | None) -> Event:
    raw_data = (item.rawData if isinstance(item, _EventJSON) else None) or _NO_RAW_DATA
    return Event(
        profile_id=item.id or item.customerId or "",
        event_id=item.eventId or "",
        action=item.eventAction or "",
        name=raw_data.event or "",
        event_time=parse_time(item.eventTime, what="event time"),
        received_time=parse_optional_time(item.receivedTime, what="received time"),
        source=item.source or "",
        properties=raw_data.properties or {},
        raw=raw,
    )


def read_event_page(
    content: bytes, *, raw: bool, properties: bool = True
) -> tuple[tuple[Event, ...], str | None]:
    """An events answer's events and scroll id. Without ``raw``, each event is decoded
    straight from the bytes into the fields above (the rest skipped), without its name and
    properties too unless ``properties``; with ``raw``, the whole answer is read and each
    event keeps its JSON."""
    page: _EventPageJSON | _EventHeadsPageJSON
    try:
        if raw:
            body = read_json(content)
            items = data_list(body, what="events")
            page = msgspec.convert(body, _EventPageJSON)
        else:
            content.decode("utf-8")  # skipped fields must be UTF-8 too, as JSON requires
            page = (_EVENT_PAGE if properties else _EVENT_HEADS_PAGE).decode(content)
            items = [None] * len(page.data)
    except msgspec.ValidationError as error:  # first: it is a DecodeError too
        raise ProtocolError(
            f"The Profiles API sent an events page it should not: {error}."
        ) from None
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        raise UnreadableAnswer("The Profiles API sent JSON that could not be read.") from None
    events = tuple(_event(item, data) for item, data in zip(page.data, items, strict=True))
    return events, page.scrollId or None


@dataclass(frozen=True)
class EventQuery:
    """The filters of PAPI-13; paging (`from`, `size`) is given to the call itself."""

    include: str | None = None
    exclude: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    sort: Literal["asc", "desc"] = "desc"

    def params(self) -> dict[str, str]:
        params: dict[str, str] = {}
        if self.include:
            params["include"] = self.include
        if self.exclude:
            params["exclude"] = ",".join(self.exclude)
        if self.start is not None:
            params["start"] = _iso(self.start)
        if self.end is not None:
            params["end"] = _iso(self.end)
        params["sort"] = self.sort
        return params


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; no zone means UTC (PAPI-13). OverflowError for a time at the ends of
    the calendar with no UTC equivalent (9999-12-31T23:00-12:00)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class EventPage:
    events: tuple[Event, ...]
    offset: int
    size: int
    scroll_id: str | None = None

    @property
    def next_offset(self) -> int | None:
        """Where the next page starts; None at the end of the results or of the window."""
        end = self.offset + len(self.events)
        if len(self.events) < self.size or end >= EVENT_WINDOW:
            return None
        return end

    @property
    def window_reached(self) -> bool:
        """True when this page ends at the 10,000 window and more events may lie beyond."""
        return len(self.events) == self.size and self.offset + self.size >= EVENT_WINDOW


@dataclass(frozen=True)
class ExternalId:
    type: str
    value: str
    profile_id: str
    created_time: datetime | None = None

    @classmethod
    def from_json(cls, data: Any) -> ExternalId:
        data = _object(data, what="an external id")
        return cls(
            type=_text(data.get("type")),
            value=_text(data.get("id")),
            profile_id=_text(data.get("profileId")),
            created_time=parse_optional_time(data.get("createdTime"), what="creation time"),
        )


@dataclass(frozen=True)
class ProfileListPage:
    profiles: tuple[Traits, ...]
    scroll_id: str | None


def data_list(body: Any, *, what: str) -> list[Any]:
    """The ``data`` list of a ``{"data": [...]}`` body (PAPI-4, 14, 16)."""
    if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
        raise ProtocolError(f"The Profiles API sent {what} without a data list.")
    items: list[Any] = body["data"]
    return items


def scroll_id_of(body: Mapping[str, Any]) -> str | None:
    scroll_id = body.get("scrollId")
    if scroll_id is None or scroll_id == "":
        return None
    if not isinstance(scroll_id, str):
        raise ProtocolError("The Profiles API sent a scrollId that is not text.")
    return scroll_id
