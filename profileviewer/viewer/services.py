"""What each page and panel needs from the Profiles API, shaped for its template.

Views call exactly one function here; every upstream call goes through `client()`, the seam
tests use to put a stub in place of the real client.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from typing import Any, cast

from django.conf import settings
from django.db import connections
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from profileviewer.client import (
    ChannelPreference,
    EventQuery,
    EventStamp,
    IntileryError,
    Meta,
    NotFoundError,
    ProfileRef,
    ProfileRefError,
    ProfilesClient,
    ProtocolError,
    SingleFlight,
    Traits,
    get_client,
)
from profileviewer.insights import (
    ProfileSummary,
    ViewedProduct,
    profile_summary,
    recently_viewed_not_purchased,
)
from profileviewer.insights.parallel import reads_pool
from profileviewer.sharedcache import TolerantCache
from profileviewer.viewer import chart, presenters
from profileviewer.viewer.filters import PAGE_SIZE, TimelineFilters

logger = logging.getLogger(__name__)
# Kept results, headers and customer checks: a cache outage makes them misses.
_store = TolerantCache("Viewer")

# The activity chart reads at most this many events (sequential pages of 100); a profile
# busier than that in 90 days is charted from its most recent events, and says so.
CHART_MAX_EVENTS = 1_000
# Pages of 100 asked for at once: the speculative ones cost an upstream call each for a
# quiet customer, and save a round trip per page for a busy one.
CHART_PARALLEL_PAGES = 3


_EPOCH = datetime.min.replace(tzinfo=UTC)


def client() -> ProfilesClient:
    return get_client()


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
    """Every profile the reference matches (several only for an email, PAPI-14); their
    header is kept, so the profile page the look-up leads to shows it at once."""
    metas = client().meta(ref)
    keep_header(ref, headers_for(ref, [meta.traits for meta in metas]))
    matches = [
        Match(
            ref=canonical_ref(meta.traits),
            name=meta.traits.display_name,
            email=meta.traits.email,
            external_id=meta.traits.external_id,
            organisation=meta.traits.organisation,
            last_activity=meta.last_activity_time,
        )
        for meta in metas
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


def profile_traits(ref: ProfileRef, *, fresh: bool = False) -> list[Traits]:
    """The matching profiles' traits, read from `meta` (shared with the look-up, the metadata
    panel and the summary); from `traits` when the metadata is malformed, so a bad metadata
    field costs the metadata panel, not the header and the traits."""
    try:
        return [meta.traits for meta in client().meta(ref, fresh=fresh)]
    except ProtocolError:
        return client().traits(ref, fresh=fresh)


def profile_header(
    ref: ProfileRef, *, fresh: bool = False, recheck: bool = False
) -> list[ProfileHeader]:
    """One header per matching profile (an email may match several).

    Read from `meta` (the traits plus the profile's metadata, PAPI-18) rather than `traits`:
    the look-up, the metadata panel and the summary read `meta` too, so the header coming from
    a look-up is already cached, and a first view costs one upstream call fewer.

    Kept (``cached_header``), with how many customers the reference matches
    (``require_customer``). Someone found to be nobody a moment ago (by the page's warm-up) is
    not asked about again, unless ``fresh`` or ``recheck`` (which still shares the read).
    """
    if not (fresh or recheck) and customers_matched(ref) == 0:
        raise NotFoundError(code="not_found")
    try:
        headers = headers_for(ref, profile_traits(ref, fresh=fresh))
    except NotFoundError:
        _keep_matches(ref, 0)
        raise
    keep_header(ref, headers)
    return headers


def keep_header(ref: ProfileRef, headers: list[ProfileHeader]) -> None:
    _store.write(_result_key("header", ref), headers, settings.INTILERY_CACHE_TTL)
    _keep_matches(ref, len(headers))


def cached_header(ref: ProfileRef) -> list[ProfileHeader] | None:
    """The header, if a recent read of `meta` (a look-up, an earlier view) left it kept: the
    profile page then shows it at once instead of loading it beside the panels."""
    kept = _store.read(_result_key("header", ref))
    return kept if isinstance(kept, list) else None


# How many customers a reference matches, kept so that a panel need not ask. One customer is
# kept long (a customer rarely stops being one, and a panel whose own calls then find nobody
# says so), so filtering, scrolling or refreshing a timeline never waits for the check;
# nobody only for the panels of the same page (someone who signs up meanwhile is found by
# the next page).
MATCHES_KEPT_SECONDS = 3600
NOBODY_KEPT_SECONDS = 3
SEVERAL = "Several customers share this email: choose one from the list."


def require_customer(ref: ProfileRef, *, fresh: bool = False) -> None:
    """NotFoundError unless the reference matches a customer (ProfileRefError if several).

    Every panel asks first, so the panels of a page whose header is still loading wait for
    the header's one `meta` read (shared through the client's single flight) instead of each
    asking the upstream about someone who may not be a customer at all (a helpdesk requester
    often is not), and an email several profiles share, which the page leaves for the list,
    costs no panel its reads. Any other failure is left to the panel's own calls to report.
    ``fresh`` (the refresh button): nobody found a moment ago is asked about again.
    """
    if not settings.INTILERY_CACHE_TTL:
        return  # nothing is kept: the panels ask for themselves
    key = _result_key("customer", ref)
    if _known_here.get(key, 0.0) > time.monotonic():
        return
    kept = customers_matched(ref)
    if kept is None or (kept == 0 and fresh):
        try:
            kept = len(profile_header(ref, recheck=kept == 0))
        except NotFoundError:
            raise
        except IntileryError:
            return
    if kept == 0:
        raise NotFoundError(code="not_found")
    if kept > 1:
        raise ProfileRefError(SEVERAL)
    _remember_here(key)


def customers_matched(ref: ProfileRef) -> int | None:
    """How many customers ``ref`` matched when last read (kept an hour if some, a few
    seconds if none), or None when nothing is kept."""
    if not settings.INTILERY_CACHE_TTL:
        return None
    key = _result_key("customer", ref)
    if _known_here.get(key, 0.0) > time.monotonic():
        return 1
    kept = _store.read(key)
    return kept if isinstance(kept, int) else None


# Customers this process found, so a panel request need not even ask the shared cache (a
# Redis round trip in the scale-out set-up): a minute, well within MATCHES_KEPT_SECONDS.
KNOWN_HERE_SECONDS = 60
_known_here: dict[str, float] = {}


def _remember_here(key: str) -> None:
    if len(_known_here) >= 10_000:
        _known_here.clear()
    _known_here[key] = time.monotonic() + KNOWN_HERE_SECONDS


def forget_known_customers() -> None:
    """Forget what this process remembers of who is a customer (for tests)."""
    _known_here.clear()


def _keep_matches(ref: ProfileRef, count: int) -> None:
    if not settings.INTILERY_CACHE_TTL:
        return
    key = _result_key("customer", ref)
    if count == 1:
        _remember_here(key)
    else:
        _known_here.pop(key, None)
    _store.write(key, count, MATCHES_KEPT_SECONDS if count else NOBODY_KEPT_SECONDS)


def headers_for(ref: ProfileRef, profiles: list[Traits]) -> list[ProfileHeader]:
    headers = []
    for traits in profiles:
        identities = [
            Identity("External id", traits.external_id),
            Identity("Email", traits.email, f"mailto:{traits.email}"),
            Identity("Intilery id", traits.id),
            Identity("Phone", traits.phone, f"tel:{traits.phone.replace(' ', '')}"),
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
        TraitRow("phone", "Phone", traits.phone, f"tel:{traits.phone.replace(' ', '')}"),
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
    # From `meta`, like the header: the same traits, one upstream answer shared by both.
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


def timeline_page(
    ref: ProfileRef, filters: TimelineFilters, *, fresh: bool = False
) -> TimelinePage:
    if fresh:
        return _timeline_page(ref, filters, fresh=True)
    # Days are the agent's: the zone belongs in the key.
    zone = timezone.get_current_timezone_name()
    key = _result_key("timeline", ref, f"{zone}|{filters.querystring()}")
    return _joined(key, lambda: _timeline_page(ref, filters, fresh=False))


def _timeline_page(ref: ProfileRef, filters: TimelineFilters, *, fresh: bool) -> TimelinePage:
    # Read as briefs: a row shows no more, and links to its raw event (timeline_event).
    page = client().event_briefs(
        ref, filters.event_query(), offset=filters.offset, size=PAGE_SIZE, fresh=fresh
    )
    events = page.events
    return TimelinePage(
        groups=presenters.group_timeline(events),
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
    page = client().events(ref, filters.event_query(), offset=filters.offset, size=PAGE_SIZE)
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


def _activity_key(ref: ProfileRef) -> str:
    # The chart's days are the agent's: its zone and today belong in the key.
    zone = timezone.get_current_timezone_name()
    return _result_key("activity", ref, f"{zone}|{timezone.localdate()}")


def _kept[T](key: str, kind: type, compute: Callable[[], T], *, fresh: bool) -> T:
    """A panel's result, kept for the answers' TTL (INTILERY_CACHE_TTL) from when it was
    computed: a cached request then neither re-parses hundreds of events nor recomputes the
    panel. It may be computed from answers near the end of their own TTL, so it can be up to
    about twice the TTL old. ``fresh`` recomputes it from fresh answers and keeps that."""

    def compute_and_keep() -> T:
        result = compute()
        _store.write(key, result, settings.INTILERY_CACHE_TTL)
        return result

    if fresh:
        return compute_and_keep()
    cached = _store.read(key)
    if isinstance(cached, kind):
        return cast(T, cached)
    return _joined(key, compute_and_keep)


# Panel results being computed in this process (a warm-up's, another request's): a request
# for the same one waits for it rather than parsing the same answers and computing it again.
_computing = SingleFlight()
# A panel's computation may make several rounds of upstream calls, each within its budget.
_JOIN_WAIT = 20.0


def _joined[T](key: str, compute: Callable[[], T]) -> T:
    result, _ = _computing.do(key, compute, wait=_JOIN_WAIT)
    return result


def _result_key(kind: str, ref: ProfileRef, extra: str = "") -> str:
    """A kept result's key: per upstream tenant (deployments may share one Redis) and ref."""
    tenant = (
        f"{settings.INTILERY_API_URL}|{settings.INTILERY_CLIENT_ID}|"
        f"{settings.INTILERY_ACCOUNT_ID}|{settings.INTILERY_BRAND_ID}"
    )
    text = f"{tenant}|{ref}|{extra}"
    return f"pv:viewer:{kind}:{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def activity_panel(ref: ProfileRef, *, fresh: bool = False) -> chart.ActivityChart:
    """The activity chart (up to 1,000 events, counted by day in the agent's zone)."""
    return _kept(
        _activity_key(ref),
        chart.ActivityChart,
        lambda: _activity_chart(ref, fresh=fresh),
        fresh=fresh,
    )


def _activity_chart(ref: ProfileRef, *, fresh: bool) -> chart.ActivityChart:
    """Events of the last 90 days, charted; pages are fetched a few at a time in parallel,
    since one round trip per 100 events in sequence made this the slowest panel. Each event
    is read as its action and time only (``event_stamps``): reading hundreds whole was most
    of the panel's own time."""
    api = client()
    query = EventQuery(start=chart.window_start())
    events: list[EventStamp] = []
    offset = 0
    more = True
    pool = reads_pool()
    while more and offset < CHART_MAX_EVENTS:
        offsets = range(offset, min(offset + CHART_PARALLEL_PAGES * 100, CHART_MAX_EVENTS), 100)
        pages = list(
            pool.map(
                lambda o: api.event_stamps(ref, query, offset=o, size=100, fresh=fresh), offsets
            )
        )
        for page in pages:
            events.extend(page.stamps)
            if page.next_offset is None:
                more = False
                break
        offset = offsets[-1] + 100
    return chart.activity_chart(events, truncated=more)


def viewed_not_bought_panel(ref: ProfileRef, *, fresh: bool = False) -> list[ViewedProduct]:
    """Read from up to 200 views and orders; its "when viewed" is rendered at each request."""
    return _kept(
        _result_key("viewed-not-bought", ref),
        list,
        lambda: recently_viewed_not_purchased(client(), ref, limit=5, fresh=fresh),
        fresh=fresh,
    )


def summary_panel(ref: ProfileRef, *, fresh: bool = False) -> ProfileSummary:
    """Five reads merged; its 90-day counts may be as old as the answers they come from."""
    return _kept(
        _result_key("summary", ref),
        ProfileSummary,
        lambda: profile_summary(client(), ref, fresh=fresh),
        fresh=fresh,
    )


# --- Warming the panels' upstream calls ----------------------------------------------------

# The browser asks for the header and the panels only after the page and its scripts have
# loaded (~60 ms after the page arrives); the profile page starts their upstream calls and
# their computation as soon as it is sent (and a look-up with one match before its redirect),
# so the panel requests join them (the client's single flight for the calls, `_joined` for
# the computations) or find them kept. Off in tests that count upstream calls.
PREFETCH = True
# How long a started warm-up stands for its customer (their answers are cached longer).
WARMING_SECONDS = 5
# About five jobs a page, mostly waiting on the upstream: room for a few pages at once.
_prefetch_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="pv-prefetch")
# The share of the rate limit's burst that must be unused for a page to warm the panels of
# someone not yet known to be a customer beside the header's read rather than after it.
GUESS_HEADROOM = 0.5


def after_profile_page(
    ref: ProfileRef,
    filters: TimelineFilters | None,
    zone: tzinfo,
    *,
    fresh: bool,
    header_kept: bool,
) -> None:
    """What a profile page starts once it is sent. ``filters``: None when the page's timeline
    filters are invalid (its timeline loads nothing)."""
    if fresh or filters is None:
        # The refresh button's panels bypass anything warmed: only the customer check, which
        # the header and the panels join, starts.
        if not header_kept:
            check_customer_soon(ref)
        return
    prefetch_panels(ref, filters, zone)


def prefetch_panels(ref: ProfileRef, filters: TimelineFilters, zone: tzinfo | None = None) -> None:
    """Start, in the background, the header's read and every panel of the profile page.

    Everything starts at once for someone known to be a customer (found within the hour), and
    for someone unknown while the account's rate limit is mostly unused. Otherwise the
    header's `meta` read goes first, and the panels follow only if it finds one customer: a
    helpdesk requester often is not one, and a wrong guess costs ten upstream calls that a busy
    account needs. Nobody (found a moment ago) and an email several profiles share (the page
    lists them) start nothing.

    ``zone``: the agent's time zone (the activity chart's and the timeline's days are theirs);
    by default the current one.
    """
    if not PREFETCH or not settings.INTILERY_CACHE_TTL:
        return
    matched = customers_matched(ref)
    if matched is not None and matched != 1:
        return
    zone = zone or timezone.get_current_timezone()
    with timezone.override(zone):
        chart_key = _activity_key(ref)
    if _store.read(chart_key) is not None:
        # Drawn from this customer's answers within the TTL: they are cached, and warming
        # them again would only take CPU from the panel requests themselves.
        if matched is None:
            check_customer_soon(ref)
        return
    # A warm-up already under way (a look-up's, then its profile page's): the second would
    # find every call in flight but parse and compute every panel again. On a cache outage
    # the panels fetch for themselves, after the customer check.
    marker = f"{chart_key}:warming:{filters.querystring()}"
    if not _store.add(marker, 1, WARMING_SECONDS):
        if matched is None:
            check_customer_soon(ref)
        return
    if matched == 1 or client().rate_headroom() >= GUESS_HEADROOM:
        if cached_header(ref) is None:
            _prefetch_pool.submit(_warm, profile_header, ref, zone)
        _warm_panels(ref, filters, zone)
    else:
        _prefetch_pool.submit(_check_then_warm, ref, filters, zone)


def _warm_panels(ref: ProfileRef, filters: TimelineFilters, zone: tzinfo) -> None:
    # The traits and metadata panels read the header's `meta` answer: warming it warms them.
    jobs: list[Callable[[ProfileRef], object]] = [
        summary_panel,
        activity_panel,
        viewed_not_bought_panel,
        lambda r: timeline_page(r, filters),
    ]
    for job in jobs:
        _prefetch_pool.submit(_warm, job, ref, zone)


def _check_then_warm(ref: ProfileRef, filters: TimelineFilters, zone: tzinfo) -> None:
    try:
        found = len(profile_header(ref))
    except IntileryError:  # nobody, several, or a failure: the header reports it
        found = 0
    finally:
        connections.close_all()
    if found == 1:
        _warm_panels(ref, filters, zone)


def check_customer_soon(ref: ProfileRef) -> None:
    """Start, in the background, the `meta` read that tells whether ``ref`` is a customer
    (``require_customer``): the header and the panels of a page that did not wait for it
    join it when they ask."""
    if PREFETCH and settings.INTILERY_CACHE_TTL:
        _prefetch_pool.submit(_check_customer, ref)


def _check_customer(ref: ProfileRef) -> None:
    try:
        require_customer(ref)
    except IntileryError:  # the header reports it to the agent
        pass
    finally:
        connections.close_all()


def _warm(job: Callable[[ProfileRef], object], ref: ProfileRef, zone: tzinfo) -> None:
    try:
        with timezone.override(zone):
            job(ref)
    except IntileryError:  # the panel's own request reports it to the agent
        logger.debug("prefetch of a panel failed", exc_info=False)
    except Exception:  # a bug: its panel request, which waited for it, says only "failed"
        logger.exception("prefetch of a panel failed unexpectedly")
    finally:
        connections.close_all()  # this thread's, if a call touched the database
