"""``ProfilesClient``: one method per endpoint of the Profiles API, and ``get_client()``.

A call runs: local checks -> cache (unless ``fresh``) -> single flight in this process ->
Redis lock across processes (when configured) -> rate-limit token -> GET -> retry policy,
all within ``INTILERY_CALL_BUDGET`` seconds. See docs/client-interface.md.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, cast

import redis
import requests
from django.core.cache import BaseCache

from profileviewer.client.cache import (
    MISSING,
    RedisLock,
    ResponseCache,
    SingleFlight,
    cache_key,
    drain_writes,
    wait_for_cache,
)
from profileviewer.client.config import ClientConfig
from profileviewer.client.errors import (
    IntileryError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    ValidationError,
)
from profileviewer.client.metrics import counters
from profileviewer.client.ratelimit import RateLimiter, RedisTokenBucket, TokenBucket, acquire
from profileviewer.client.refs import ProfileRef
from profileviewer.client.retry import RetryPolicy
from profileviewer.client.transport import (
    Answer,
    UnreadableAnswer,
    environment_settings,
    new_session,
    read_json,
    send_get,
)
from profileviewer.client.types import (
    EVENT_WINDOW,
    MAX_PAGE_SIZE,
    BriefPage,
    Event,
    EventPage,
    EventQuery,
    ExternalId,
    Meta,
    ProfileListPage,
    StampPage,
    Traits,
    as_utc,
    data_list,
    read_brief_page,
    read_stamp_page,
    scroll_id_of,
)

logger = logging.getLogger("profileviewer.client")

# How long a process waits for another process's fetch of the same request before fetching
# itself (the other may have failed: errors are not cached).
CROSS_PROCESS_WAIT = 1.5


# Tokens a process may take from the shared bucket beside the one it needs, and spend without
# a round trip to Redis (RedisTokenBucket): a first view makes ~11 upstream calls.
RATE_LEASE = 4


# --- Process-wide state: pooled session, buckets, Redis connections, single flight ---------
_state_lock = threading.RLock()
_session: requests.Session | None = None
_client: ProfilesClient | None = None
_limiters: dict[tuple[Any, ...], RateLimiter] = {}
_redis_clients: dict[str, redis.Redis] = {}
_single_flight = SingleFlight()


def shared_session() -> requests.Session:
    global _session
    with _state_lock:
        if _session is None:
            _session = new_session()
        return _session


def redis_client(url: str) -> redis.Redis:
    with _state_lock:
        client = _redis_clients.get(url)
        if client is None:
            client = _redis_clients[url] = redis.Redis.from_url(
                url, socket_connect_timeout=0.5, socket_timeout=0.5
            )
        return client


def shared_limiter(config: ClientConfig) -> RateLimiter:
    """The bucket for this API key: one per process, or one per Redis for all processes."""
    key = (config.key_fingerprint, config.rate_limit, config.rate_burst, config.redis_url)
    with _state_lock:
        limiter = _limiters.get(key)
    if limiter is not None:
        return limiter
    if config.redis_url:
        limiter = RedisTokenBucket(
            redis_client(config.redis_url),
            f"pv:client:bucket:{config.key_fingerprint}",
            config.rate_limit,
            config.rate_burst,
            lease=RATE_LEASE,
        )
    else:
        limiter = TokenBucket(config.rate_limit, config.rate_burst)
    with _state_lock:
        return _limiters.setdefault(key, limiter)


def get_client() -> ProfilesClient:
    """The process-wide client, rebuilt when the settings change (override_settings works)."""
    global _client
    config = ClientConfig.from_settings()
    client = _client
    if client is not None and client.config == config:
        return client
    session = shared_session()
    with _state_lock:
        if _client is None or _client.config != config:
            _client = ProfilesClient(config, session=session)
        return _client


def reset_client_state() -> None:
    """Forget every process-wide piece of client state (for tests): answers being stored
    land first."""
    global _session, _client
    drain_writes()
    with _state_lock:
        if _session is not None:
            _session.close()
        _session = None
        _client = None
        _limiters.clear()
        for client in _redis_clients.values():
            client.close()
        _redis_clients.clear()
    _single_flight.clear()
    environment_settings.cache_clear()
    counters.reset()


# --- The client ------------------------------------------------------------------------------
def _public[**P, R](method: Callable[P, R]) -> Callable[P, R]:
    """Count errors, and turn anything unexpected into an IntileryError (logged in full)."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except IntileryError:
            counters.incr("errors")
            raise
        except Exception as exc:
            counters.incr("errors")
            logger.exception("Unexpected failure in the Profiles API client")
            raise ProtocolError("The Profiles API client failed unexpectedly.") from exc

    return wrapper


def _check_paging(offset: int, size: int, *, window: bool) -> None:
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationError(
            f"The page size must be between 1 and {MAX_PAGE_SIZE}.", code="validation_error"
        )
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise ValidationError("The page offset cannot be negative.", code="validation_error")
    if window and offset + size > EVENT_WINDOW:
        raise ValidationError(
            f"Only the first {EVENT_WINDOW:,} events can be paged through.",
            code="validation_error",
        )


def _check_query(query: EventQuery) -> None:
    if query.sort not in ("asc", "desc"):
        raise ValidationError("Sort must be asc or desc.", code="validation_error")
    start, end = _in_utc(query.start, "start"), _in_utc(query.end, "end")
    if start and end and start > end:
        raise ValidationError("The start must be before the end.", code="validation_error")


def _in_utc(moment: datetime | None, name: str) -> datetime | None:
    """``as_utc(moment)``, or a ValidationError for a time with no UTC equivalent."""
    if moment is None:
        return None
    try:
        return as_utc(moment)
    except OverflowError:
        raise ValidationError(
            f"The {name} is outside the dates the Profiles API can take.",
            code="validation_error",
        ) from None


class ProfilesClient:
    def __init__(
        self,
        config: ClientConfig,
        *,
        session: requests.Session | None = None,
        cache: BaseCache | None = None,
        limiter: RateLimiter | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self.config = config
        self._session = session if session is not None else shared_session()
        self._limiter = limiter if limiter is not None else shared_limiter(config)
        self._retry = retry_policy or RetryPolicy(max_retry_after=config.max_retry_after)
        self._lock = RedisLock(redis_client(config.redis_url)) if config.redis_url else None
        # With Redis, answers are stored behind the caller (see ResponseCache).
        self._cache = ResponseCache(cache, write_behind=self._lock is not None)
        self._reserve = config.rate_burst * (1 - config.rate_share)
        self._prefix = f"{config.base_url}{config.tenant_path}"

    def __repr__(self) -> str:
        return (
            f"ProfilesClient(base_url={self.config.base_url!r}, tenant={self.config.tenant_path!r})"
        )

    # --- endpoints -------------------------------------------------------------------------
    @_public
    def traits(self, ref: ProfileRef, *, fresh: bool = False) -> list[Traits]:
        """Traits of the profile; every match for an email (PAPI-14)."""
        return self._get(
            f"/profiles/{ref.path_segment()}/traits",
            None,
            _from_json(lambda body: [Traits.from_json(item) for item in _profiles(body, ref)]),
            cacheable=True,
            fresh=fresh,
        )

    @_public
    def meta(self, ref: ProfileRef, *, fresh: bool = False) -> list[Meta]:
        """Metadata of the profile (PAPI-18); every match for an email."""
        return self._get(
            f"/profiles/{ref.path_segment()}/meta",
            None,
            _from_json(lambda body: [Meta.from_json(item) for item in _profiles(body, ref)]),
            cacheable=True,
            fresh=fresh,
        )

    @_public
    def events(
        self,
        ref: ProfileRef,
        query: EventQuery = EventQuery(),  # noqa: B008 - frozen, so a shared default is safe
        *,
        offset: int = 0,
        size: int = MAX_PAGE_SIZE,
        fresh: bool = False,
    ) -> EventPage:
        """One page of events (PAPI-11..13, 16)."""

        def parse(body: Any) -> EventPage:
            events = tuple(Event.from_json(item) for item in data_list(body, what="events"))
            return EventPage(events=events, offset=offset, size=size, scroll_id=scroll_id_of(body))

        return self._events_page(ref, query, offset, size, _from_json(parse), fresh, "json")

    @_public
    def event_stamps(
        self,
        ref: ProfileRef,
        query: EventQuery = EventQuery(),  # noqa: B008
        *,
        offset: int = 0,
        size: int = MAX_PAGE_SIZE,
        fresh: bool = False,
    ) -> StampPage:
        """One page of events as ``events`` fetches it (the same request, the same cached
        answer), read as each event's action and time only: for counting hundreds of
        events, where reading each one whole was most of the work."""
        return self._events_page(
            ref,
            query,
            offset,
            size,
            lambda content: read_stamp_page(content, offset=offset, size=size),
            fresh,
            "stamps",
        )

    @_public
    def event_briefs(
        self,
        ref: ProfileRef,
        query: EventQuery = EventQuery(),  # noqa: B008
        *,
        offset: int = 0,
        size: int = MAX_PAGE_SIZE,
        fresh: bool = False,
    ) -> BriefPage:
        """One page of events as ``events`` fetches it (the same request, the same cached
        answer), read as what a timeline row shows: each event's id, action, time and properties,
        without the rest of its raw data."""
        return self._events_page(
            ref,
            query,
            offset,
            size,
            lambda content: read_brief_page(content, offset=offset, size=size),
            fresh,
            "briefs",
        )

    def _events_page[R](
        self,
        ref: ProfileRef,
        query: EventQuery,
        offset: int,
        size: int,
        read: Callable[[bytes], R],
        fresh: bool,
        reading: str,
    ) -> R:
        _check_paging(offset, size, window=True)
        _check_query(query)
        return self._get(
            f"/profiles/{ref.path_segment()}/events",
            {**query.params(), "from": str(offset), "size": str(size)},
            read,
            cacheable=True,
            fresh=fresh,
            reading=reading,
        )

    def iter_events(
        self,
        ref: ProfileRef,
        query: EventQuery = EventQuery(),  # noqa: B008
        *,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[Event]:
        """Every event the API will page to: stops at the end or cleanly at the window."""
        _check_paging(0, page_size, window=True)
        offset: int | None = 0
        while offset is not None:
            size = min(page_size, EVENT_WINDOW - offset)
            page = self.events(ref, query, offset=offset, size=size)
            yield from page.events
            offset = page.next_offset

    @_public
    def external_ids(self, ref: ProfileRef, *, fresh: bool = False) -> list[ExternalId]:
        """Every identity of the profile(s), page by page (PAPI-3, PAPI-11)."""
        identities: list[ExternalId] = []
        for offset in range(0, EVENT_WINDOW, MAX_PAGE_SIZE):
            page: list[ExternalId] = self._get(
                f"/profiles/{ref.path_segment()}/external_ids",
                {"from": str(offset), "size": str(MAX_PAGE_SIZE)},
                _from_json(
                    lambda body: [
                        ExternalId.from_json(item) for item in data_list(body, what="external ids")
                    ]
                ),
                cacheable=True,
                fresh=fresh,
            )
            identities.extend(page)
            if len(page) < MAX_PAGE_SIZE:
                break
        return identities

    @_public
    def list_profiles(
        self, scroll_id: str | None = None, *, size: int = MAX_PAGE_SIZE
    ) -> ProfileListPage:
        """One page of the listing (PAPI-4). Never cached: a scroll moves on."""
        _check_paging(0, size, window=False)
        params = {"size": str(size)}
        if scroll_id:
            params["scrollId"] = scroll_id

        def parse(body: Any) -> ProfileListPage:
            profiles = tuple(Traits.from_json(item) for item in data_list(body, what="profiles"))
            return ProfileListPage(profiles=profiles, scroll_id=scroll_id_of(body))

        return self._get("/profiles", params, _from_json(parse), cacheable=False, fresh=True)

    def iter_profiles(
        self, *, start_scroll_id: str | None = None
    ) -> Iterator[tuple[Traits, str | None]]:
        """Every profile, each with the scroll id that fetched its page.

        Restarting with that scroll id re-reads the page the last profile came from, so an
        interrupted export resumes without skipping anyone (some may be seen twice).
        """
        scroll_id = start_scroll_id
        while True:
            page = self.list_profiles(scroll_id)
            if not page.profiles:
                return
            for profile in page.profiles:
                yield profile, scroll_id
            if page.scroll_id is None:
                return
            scroll_id = page.scroll_id

    def rate_headroom(self) -> float:
        """How much of the rate limit's burst (PAPI-7) is unused now, from 0 to 1: a caller
        may spend calls that might prove unneeded only while the account is quiet."""
        try:
            return max(0.0, min(1.0, self._limiter.available() / max(1, self.config.rate_burst)))
        except Exception:  # a limiter that cannot say: assume no headroom
            return 0.0

    def stats(self) -> dict[str, int]:
        """Process-wide counters: calls, cache_hits, coalesced, retries, rate_limited, errors."""
        return counters.snapshot()

    # --- the machinery ---------------------------------------------------------------------
    def _get[R](
        self,
        path: str,
        params: dict[str, str] | None,
        read: Callable[[bytes], R],
        *,
        cacheable: bool,
        fresh: bool,
        reading: str = "json",
    ) -> R:
        """``read`` turns an answer's bytes into the result (``_from_json(parse)``, or a faster
        reader of the bytes themselves); ``reading`` names it, since calls sharing an answer
        (its cache key) share an in-flight call only when they read it the same way."""
        deadline = time.monotonic() + self.config.call_budget
        url = self._prefix + path
        cacheable = cacheable and self.config.cache_ttl > 0
        if not cacheable:
            return _read(read, self._fetch(url, params, deadline))
        key = cache_key(url, params)
        if fresh:
            # Bypasses the cache (and others' in-flight calls) but refreshes it.
            return self._fetch_read_store(key, url, params, read, deadline)
        cached = self._read_kept(read, key, self._cache.get(key))
        if cached is not MISSING:
            return cast(R, cached)
        result, shared = _single_flight.do(
            f"{key}|{reading}",
            lambda: self._fetch_across_processes(key, url, params, read, deadline),
            wait=deadline - time.monotonic(),
        )
        if shared:
            counters.incr("coalesced")
        return result

    def _read_kept[R](self, read: Callable[[bytes], R], key: str, content: Any) -> R | Any:
        """A kept answer read, or ``MISSING`` (nothing kept, or bytes that no longer read)."""
        if content is MISSING:
            return MISSING
        try:
            result = read(content)
        except UnreadableAnswer:  # only answers that read were kept
            logger.warning("Client cache held an unreadable answer under %s", key)
            return MISSING
        counters.incr("cache_hits")
        return result

    def _fetch_across_processes[R](
        self,
        key: str,
        url: str,
        params: dict[str, str] | None,
        read: Callable[[bytes], R],
        deadline: float,
    ) -> R:
        if self._lock is None:
            return self._fetch_read_store(key, url, params, read, deadline)
        token = self._lock.acquire(key)
        if token is None:
            remaining = deadline - time.monotonic()
            until = time.monotonic() + min(CROSS_PROCESS_WAIT, remaining / 2)
            cached = self._read_kept(read, key, wait_for_cache(self._cache, key, until=until))
            if cached is not MISSING:
                return cast(R, cached)
            return self._fetch_read_store(key, url, params, read, deadline)
        release = functools.partial(self._lock.release, key, token)
        handed_over = False
        try:
            # Another process may have filled the cache between our miss and our lock.
            cached = self._read_kept(read, key, self._cache.get(key))
            if cached is not MISSING:
                return cast(R, cached)
            result = self._fetch_read_store(key, url, params, read, deadline, then=release)
            handed_over = True  # released once the answer is stored
            return result
        finally:
            if not handed_over:
                release()

    def _fetch_read_store[R](
        self,
        key: str,
        url: str,
        params: dict[str, str] | None,
        read: Callable[[bytes], R],
        deadline: float,
        *,
        then: Callable[[], None] | None = None,
    ) -> R:
        """``then`` runs once the answer is stored."""
        answer = self._fetch(url, params, deadline)
        # Only an answer that reads is worth caching.
        result = _read(read, answer)
        self._cache.set(key, answer.content, self.config.cache_ttl, then=then)
        return result

    def _fetch(self, url: str, params: dict[str, str] | None, deadline: float) -> Answer:
        """GET with the rate limit and the retry policy."""
        attempt = 0
        while True:
            wait = acquire(self._limiter, deadline=deadline, reserve=self._reserve)
            if wait is not None:
                counters.incr("rate_limited")
                raise RateLimitError(
                    "Too many Profiles API requests from this app; try again in a moment.",
                    code="client_rate_limit",
                    retry_after=wait,
                )
            counters.incr("calls")
            try:
                return send_get(
                    self._session,
                    url,
                    params=params,
                    token=self.config.api_token,
                    connect_timeout=self.config.connect_timeout,
                    read_timeout=self.config.read_timeout,
                    deadline=deadline,
                    max_bytes=self.config.max_response_bytes,
                )
            except IntileryError as error:
                if error.http_status == 429:
                    counters.incr("rate_limited")
                if not self._retry.is_retryable(error) or attempt + 1 >= self._retry.max_attempts:
                    raise
                delay = self._retry.delay(attempt, error)
                if delay is None or time.monotonic() + delay >= deadline:
                    raise
                logger.warning(
                    "Retrying GET %s in %.2fs after %s (attempt %d) req=%s",
                    url.removeprefix(self.config.base_url).split("?", 1)[0],
                    delay,
                    error.http_status or type(error).__name__,
                    attempt + 2,
                    error.request_id,
                )
                counters.incr("retries")
                time.sleep(delay)
                attempt += 1


def _from_json[R](parse: Callable[[Any], R]) -> Callable[[bytes], R]:
    """A reader of an answer's bytes: read as JSON, then ``parse``d."""
    return lambda content: parse(read_json(content))


def _read[R](read: Callable[[bytes], R], answer: Answer) -> R:
    """``read(answer.content)``, with the upstream request id on a shape error (for support),
    and the status too when the body is not JSON at all."""
    try:
        return read(answer.content)
    except ProtocolError as error:
        error.request_id = error.request_id or answer.request_id
        if isinstance(error, UnreadableAnswer):
            error.http_status = error.http_status or answer.status
        raise


def _profiles(body: Any, ref: ProfileRef) -> list[Any]:
    """The profiles in a traits/meta answer: one object, or ``{"data": [...]}`` (PAPI-14)."""
    if isinstance(body, dict) and isinstance(body.get("data"), list) and "id" not in body:
        items: list[Any] = body["data"]
        if not items:
            raise NotFoundError(code="not_found")
        return items
    if isinstance(body, dict):
        return [body]
    raise ProtocolError(f"The Profiles API sent something other than a profile for {ref.id_type}.")
