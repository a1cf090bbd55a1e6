"""What each page and panel needs from the Profiles API, shaped for its template.

Views call exactly one function here; every upstream call goes through `client()`, the seam
tests use to put a stub in place of the real client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from profileviewer import masking, parallel
from profileviewer.client import (
    ChannelPreference,
    Event,
    EventQuery,
    IntileryError,
    Meta,
    NotFoundError,
    ProfileRef,
    ProfileRefError,
    ProfilesClient,
    ProtocolError,
    Traits,
    get_client,
)
from profileviewer.insights import (
    ProfileSummary,
    ViewedProduct,
    profile_summary,
    recently_viewed_not_purchased,
)
from profileviewer.masking import MaskedClient
from profileviewer.viewer import chart, presenters
from profileviewer.viewer.forms import PAGE_SIZE, TimelineFilters

logger = logging.getLogger(__name__)

# The activity chart reads at most this many events, in pages of 100 asked for a few at a
# time; a profile busier than that in 90 days is charted from its most recent events.
CHART_MAX_EVENTS = 1_000
CHART_PARALLEL_PAGES = 3

_EPOCH = datetime.min.replace(tzinfo=UTC)


class _MetaReadOnce(MaskedClient):
    """A request's client whose `meta` answers are read and masked once: a panel checks its
    customer exists (require_customer) and then reads the same answer for itself. See
    docs/performance.md, "Cached panel cost"."""

    def __init__(self, client: ProfilesClient, policy: masking.Policy) -> None:
        super().__init__(client, policy)
        self._metas: dict[tuple[ProfileRef, bool], list[Meta]] = {}

    def meta(self, ref: ProfileRef, *, fresh: bool = False) -> list[Meta]:
        key = (ref, fresh)
        if key not in self._metas:
            self._metas[key] = super().meta(ref, fresh=fresh)
        return self._metas[key]


_request_client: ContextVar[MaskedClient | None] = ContextVar("viewer_client", default=None)


def client() -> MaskedClient:
    """The client, every answer masked for the agent's role (masking.override, set by
    agent_required): no panel can show what the role may not see."""
    return _request_client.get() or MaskedClient(get_client(), masking.current())


@contextmanager
def meta_read_once() -> Iterator[None]:
    """Within it, `client()` reads each `meta` answer once (a view's steps share it)."""
    token = _request_client.set(_MetaReadOnce(get_client(), masking.current()))
    try:
        yield
    finally:
        _request_client.reset(token)


# --- Look-up ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    ref: ProfileRef  # the profile's own reference (external id, else Intilery id)
    name: str
    email: str
    external_id: str
    organisation: str
    last_activity: datetime | None


def canonical_ref(traits: Traits) -> ProfileRef:
    if traits.external_id:
        return ProfileRef("userId", traits.external_id)
    return ProfileRef("id", traits.id)


def lookup(ref: ProfileRef) -> list[Match]:
    """Every profile the reference matches (several only for an email, PAPI-14)."""
    matches = [
        Match(
            ref=canonical_ref(meta.traits),
            name=meta.traits.display_name,
            email=meta.traits.email,
            external_id=meta.traits.external_id,
            organisation=meta.traits.organisation,
            last_activity=meta.last_activity_time,
        )
        for meta in client().meta(ref)
    ]
    matches.sort(key=lambda m: m.last_activity or _EPOCH, reverse=True)
    return matches


# --- The profile header -------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    label: str
    value: str
    href: str = ""


@dataclass(frozen=True)
class ProfileHeader:
    ref: ProfileRef
    traits: Traits
    matched_by: str
    identities: tuple[Identity, ...]


MATCHED_BY = {"userId": "external id", "email": "email", "id": "Intilery id"}
SEVERAL = "Several customers share this email: choose one from the list."


def profile_traits(ref: ProfileRef, *, fresh: bool = False) -> list[Traits]:
    """The matching profiles' traits, read from `meta` (one answer shared with the look-up,
    the metadata panel and the summary); from `traits` when the metadata is malformed, so a
    bad metadata field costs the metadata panel, not the header and the traits."""
    try:
        return [meta.traits for meta in client().meta(ref, fresh=fresh)]
    except ProtocolError:
        return client().traits(ref, fresh=fresh)


def profile_header(ref: ProfileRef, *, fresh: bool = False) -> list[ProfileHeader]:
    """One header per matching profile (an email may match several)."""
    return headers_for(ref, profile_traits(ref, fresh=fresh))


def require_customer(ref: ProfileRef) -> None:
    """NotFoundError unless the reference names a customer; ProfileRefError when an email
    names several (the page lists them). Every panel asks first, so a helpdesk requester who
    is nobody costs one upstream call, not one per panel. It reads the `meta` answer the
    header and the warm-up share; any other failure is left to the panel's own calls."""
    try:
        count = len(client().meta(ref))
    except NotFoundError:
        raise
    except IntileryError:
        return
    if count > 1:
        raise ProfileRefError(SEVERAL)


_DIALABLE = frozenset("+0123456789 ()-")


def tel_href(phone: str) -> str:
    """A link that dials the number; none for a masked one, which cannot be dialled."""
    if not phone or not set(phone) <= _DIALABLE:
        return ""
    return f"tel:{phone.replace(' ', '')}"


def headers_for(ref: ProfileRef, profiles: list[Traits]) -> list[ProfileHeader]:
    headers = []
    for traits in profiles:
        identities = [
            Identity("External id", traits.external_id),
            Identity("Email", traits.email, f"mailto:{traits.email}"),
            Identity("Intilery id", traits.id),
            Identity("Phone", traits.phone, tel_href(traits.phone)),
        ]
        headers.append(
            ProfileHeader(
                ref=ref,
                traits=traits,
                matched_by=MATCHED_BY[ref.id_type],
                identities=tuple(i for i in identities if i.value),
            )
        )
    return headers


# --- Panels -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TraitRow:
    key: str
    label: str
    value: str
    href: str = ""
    is_json: bool = False


@dataclass(frozen=True)
class TraitsView:
    traits: Traits
    known: tuple[TraitRow, ...]
    custom: tuple[TraitRow, ...]
    channels: tuple[ChannelPreference, ...]


def _website_href(value: str) -> str:
    if value.startswith(("https://", "http://")):
        return value
    return f"https://{value}" if "." in value and " " not in value else ""


def _trait_value(value: Any) -> tuple[str, bool]:
    if isinstance(value, dict | list):
        return presenters.pretty_json(value), True
    if value is None:
        return "", False
    if isinstance(value, bool):
        return ("yes" if value else "no"), False
    return str(value), False


def traits_view(traits: Traits) -> TraitsView:
    known = [
        TraitRow("name", "Name", f"{traits.first_name} {traits.last_name}".strip()),
        TraitRow("email", "Email", traits.email, f"mailto:{traits.email}"),
        TraitRow("phone", "Phone", traits.phone, tel_href(traits.phone)),
        TraitRow("website", "Website", traits.website, _website_href(traits.website)),
        TraitRow("organisation", "Organisation", traits.organisation),
        TraitRow("industry", "Industry", traits.industry),
    ]
    custom = []
    for key, value in sorted(traits.custom.items(), key=lambda item: item[0].lower()):
        text, is_json = _trait_value(value)
        custom.append(TraitRow(key, key, text, is_json=is_json))
    return TraitsView(
        traits=traits,
        known=tuple(row for row in known if row.value),
        custom=tuple(custom),
        channels=traits.channels,
    )


def traits_panel(ref: ProfileRef, *, fresh: bool = False) -> list[TraitsView]:
    return [traits_view(traits) for traits in profile_traits(ref, fresh=fresh)]


@dataclass(frozen=True)
class ActionSpan:
    action: str
    style: presenters.ActionStyle
    first: datetime | None
    last: datetime | None


@dataclass(frozen=True)
class MetaView:
    meta: Meta
    created_time: datetime | None
    created_how: str
    actions: tuple[ActionSpan, ...]


CREATED_BY = {
    "api": "the API",
    "audience-csv": "a CSV import",
    "segment": "Segment",
    "web-form": "a web form",
}


def _event_time(data: dict[str, Any] | None) -> datetime | None:
    if not isinstance(data, dict):
        return None
    text = data.get("eventTime") or data.get("timestamp")
    if not isinstance(text, str):
        return None
    try:
        return parse_datetime(text)
    except ValueError:
        return None


def meta_view(meta: Meta) -> MetaView:
    created = meta.created_by
    how = ""
    if created is not None:
        how = CREATED_BY.get(created.type, created.type.replace("-", " ") if created.type else "")
    actions = sorted(set(meta.first_events) | set(meta.last_events))
    spans = [
        ActionSpan(
            action,
            presenters.action_style(action),
            _event_time(meta.first_events.get(action)),
            _event_time(meta.last_events.get(action)),
        )
        for action in actions
    ]
    spans.sort(key=lambda s: s.last or _EPOCH, reverse=True)
    return MetaView(
        meta=meta,
        created_time=created.created_time if created else None,
        created_how=how,
        actions=tuple(spans),
    )


def meta_panel(ref: ProfileRef, *, fresh: bool = False) -> list[MetaView]:
    return [meta_view(meta) for meta in client().meta(ref, fresh=fresh)]


@dataclass(frozen=True)
class TimelinePage:
    groups: list[presenters.DayGroup]
    filters: TimelineFilters
    next_offset: int | None
    window_reached: bool
    newest: datetime | None  # the newest event shown, where live polling starts
    count: int

    @property
    def last_day(self) -> str:
        """The last day shown, so the next page does not repeat its heading."""
        return self.groups[-1].day.isoformat() if self.groups else ""


TICKET_OPENED = "Ticket opened"


def _marker(
    at: datetime | None, events: tuple[Event, ...], filters: TimelineFilters, last_page: bool
) -> presenters.MarkerRow | None:
    """The ticket's marker, on the page of a newest-first timeline where it falls: between
    a newer and an older event, at the top of the first page, or at the end of the last."""
    if at is None or filters.sort != "desc":
        return None
    older = any(e.event_time <= at for e in events)
    newer = any(e.event_time > at for e in events)
    if (older and (newer or filters.offset == 0)) or (not older and last_page):
        return presenters.MarkerRow(TICKET_OPENED, at)
    return None


def timeline_page(
    ref: ProfileRef,
    filters: TimelineFilters,
    *,
    fresh: bool = False,
    ticket_at: datetime | None = None,
) -> TimelinePage:
    page = client().events(
        ref, filters.event_query(), offset=filters.offset, size=PAGE_SIZE, fresh=fresh
    )
    events = page.events
    marker = _marker(ticket_at, events, filters, page.next_offset is None)
    return TimelinePage(
        groups=presenters.group_timeline(events, marker=marker),
        filters=filters,
        next_offset=page.next_offset,
        window_reached=page.window_reached,
        newest=max((e.event_time for e in events), default=None),
        count=len(events),
    )


def timeline_event(
    ref: ProfileRef, filters: TimelineFilters, event_id: str
) -> dict[str, Any] | None:
    """One event's raw JSON, from the (normally cached) timeline page the row was shown on;
    None when that page no longer holds it."""
    page = client().events(
        ref, filters.event_query(), offset=filters.offset, size=PAGE_SIZE, raw=True
    )
    for event in page.events:
        if event.event_id == event_id:
            return event.raw
    return None


def new_events(
    ref: ProfileRef, filters: TimelineFilters, since: datetime
) -> tuple[list[presenters.DayGroup], datetime]:
    """Events newer than `since` for live updates, and the newest time now shown."""
    query = replace(filters.event_query(), start=since, sort="desc")
    page = client().events(ref, query, offset=0, size=PAGE_SIZE, fresh=True)
    events = [e for e in page.events if e.event_time > since]
    newest = max((e.event_time for e in events), default=since)
    return presenters.group_timeline(events), newest


def activity_panel(ref: ProfileRef, *, fresh: bool = False) -> chart.ActivityChart:
    """Events of the last 90 days (up to 1,000), counted by day in the agent's zone. Pages
    are asked for a few at a time: one round trip per 100 events in turn was too slow."""
    api = client()
    query = EventQuery(start=chart.window_start())
    events: list[Event] = []
    offset = 0
    more = True
    while more and offset < CHART_MAX_EVENTS:
        offsets = range(offset, min(offset + CHART_PARALLEL_PAGES * 100, CHART_MAX_EVENTS), 100)
        pages = [
            # Counted by time and action only: their names and properties are not read.
            parallel.submit(
                api.events, ref, query, offset=o, size=100, fresh=fresh, properties=False
            )
            for o in offsets
        ]
        for future in pages:
            page = future.result()
            events.extend(page.events)
            if page.next_offset is None:
                more = False
                break
        offset = offsets[-1] + 100
    return chart.activity_chart(events, truncated=more)


def viewed_not_bought_panel(ref: ProfileRef, *, fresh: bool = False) -> list[ViewedProduct]:
    """Read from up to 200 views and orders."""
    return recently_viewed_not_purchased(client(), ref, limit=5, fresh=fresh)


def summary_panel(ref: ProfileRef, *, fresh: bool = False) -> ProfileSummary:
    return profile_summary(client(), ref, fresh=fresh)


# --- The profile page's warm-up -----------------------------------------------------------


def warm_panels(ref: ProfileRef, filters: TimelineFilters | None, *, activity: bool = True) -> None:
    """Start the upstream reads of the profile page's header and panels in the background,
    as the page is rendered: the browser asks for them only once the page and its scripts
    have loaded, and its requests then join these reads in flight (the client's single
    flight) or find their answers cached. See docs/performance.md, "warm-up"."""
    zone = timezone.get_current_timezone()
    jobs: list[Callable[[ProfileRef], object]] = [
        profile_header,  # and the traits and metadata panels: the same `meta` answer
        summary_panel,
        viewed_not_bought_panel,
    ]
    if activity:  # a sidebar shows it collapsed, loaded only when opened
        jobs.append(activity_panel)
    if filters is not None:
        jobs.append(lambda r: timeline_page(r, filters))
    for job in jobs:
        parallel.start(_warm, job, ref, zone)


def warm_sidebar(ref: ProfileRef) -> None:
    """For an embedded sidebar whose customer the server already knows (Pipedrive's person):
    the look-up its page will ask for, then that customer's first panels, in the background
    while the page loads."""

    def job(ref: ProfileRef) -> None:
        matches = lookup(ref)
        if len(matches) == 1:
            warm_panels(matches[0].ref, TimelineFilters(), activity=False)

    parallel.start(_warm, job, ref, timezone.get_current_timezone())


def _warm(job: Callable[[ProfileRef], object], ref: ProfileRef, zone: tzinfo) -> None:
    try:
        with timezone.override(zone):
            job(ref)
    except IntileryError:  # the page's own request for it reports it to the agent
        pass
    except Exception:
        logger.exception("Warming a profile panel failed unexpectedly")
