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

from profileviewer.client import metrics
from profileviewer.client.cache import (
    MISSING,
    Kept,
    RedisLock,
    ResponseCache,
    SingleFlight,
    cache_key,
    wait_for_cache,
)
from profileviewer.client.config import ClientConfig
from profileviewer.client.errors import (
    IntileryError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    UnavailableError,
    ValidationError,
)
from profileviewer.client.refs import ProfileRef
from profileviewer.client.retry import RetryPolicy
from profileviewer.client.transport import (
    Answer,
    UnreadableAnswer,
    new_session,
    read_json,
    send_get,
)
from profileviewer.client.types import (
    EVENT_WINDOW,
    MAX_PAGE_SIZE,
    Event,
    EventPage,
    EventQuery,
    ExternalId,
    Meta,
    ProfileListPage,
    Traits,
    as_utc,
    data_list,
    read_event_page,
    scroll_id_of,
)
from profileviewer.observability import context
from profileviewer.ratelimit import Buckets, LocalBuckets, forget_redis_buckets, redis_buckets

logger = logging.getLogger("profileviewer.client")

# How long a process waits for another process's fetch of the same request before fetching
# itself (the other may have failed: errors are not cached).
CROSS_PROCESS_WAIT = 1.5
# A call waits for a rate-limit token only while the wait leaves it this share of its budget:
# a token that comes later leaves too little time for the request, which would then time out
# and read as an outage when the cause is the limit ("busy, retrying").
TOKEN_WAIT_LEAVES = 1 / 3


# --- Process-wide state: pooled session, buckets, Redis connections ----------------------
_state_lock = threading.RLock()
_session: requests.Session | None = None
_client: ProfilesClient | None = None
_local_buckets = LocalBuckets()
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


def shared_buckets(config: ClientConfig) -> Buckets:
    """This process's buckets, or with Redis the ones every process shares."""
    if config.redis_url:
        return redis_buckets(config.redis_url, "pv:client:bucket:")
    return _local_buckets


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
    """Forget every process-wide piece of client state (for tests)."""
    global _session, _client
    with _state_lock:
        if _session is not None:
            _session.close()
        _session = None
        _client = None
        _local_buckets.clear()
        for client in _redis_clients.values():
            client.close()
        _redis_clients.clear()
    forget_redis_buckets()
    _single_flight.clear()
    metrics.reset()


# --- The client ------------------------------------------------------------------------------
def _public[**P, R](method: Callable[P, R]) -> Callable[P, R]:
    """Count errors, and turn anything unexpected into an IntileryError (logged in full)."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except IntileryError as error:
            metrics.ERRORS.labels(type(error).__name__).inc()
            raise
        except Exception as exc:
            metrics.ERRORS.labels("unexpected").inc()
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
        buckets: Buckets | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self.config = config
        self._session = session if session is not None else shared_session()
        self._buckets = buckets if buckets is not None else shared_buckets(config)
        self._retry = retry_policy or RetryPolicy(max_retry_after=config.max_retry_after)
        self._lock = RedisLock(redis_client(config.redis_url)) if config.redis_url else None
        self._cache = ResponseCache(cache)
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
            endpoint="traits",
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
            endpoint="meta",
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
        raw: bool = False,
        properties: bool = True,
    ) -> EventPage:
        """One page of events (PAPI-11..13, 16). ``raw``: each event keeps the JSON the API
        sent (``Event.raw``); without it only the fields an ``Event`` names are read, and
        without ``properties`` not its name and properties either (for counting events)."""
        _check_paging(offset, size, window=True)
        _check_query(query)

        def read(content: bytes) -> EventPage:
            events, scroll_id = read_event_page(content, raw=raw, properties=properties)
            return EventPage(events=events, offset=offset, size=size, scroll_id=scroll_id)

        return self._get(
            f"/profiles/{ref.path_segment()}/events",
            {**query.params(), "from": str(offset), "size": str(size)},
            read,
            endpoint="events",
            cacheable=True,
            fresh=fresh,
        )

    def iter_events(
        self,
        ref: ProfileRef,
        query: EventQuery = EventQuery(),  # noqa: B008
        *,
        page_size: int = MAX_PAGE_SIZE,
        raw: bool = False,
    ) -> Iterator[Event]:
        """Every event the API will page to: stops at the end or cleanly at the window."""
        _check_paging(0, page_size, window=True)
        offset: int | None = 0
        while offset is not None:
            size = min(page_size, EVENT_WINDOW - offset)
            page = self.events(ref, query, offset=offset, size=size, raw=raw)
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
                endpoint="external_ids",
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

        return self._get(
            "/profiles", params, _from_json(parse), endpoint="profiles", cacheable=False, fresh=True
        )

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

    def stats(self) -> dict[str, int]:
        """Process-wide counts since the last reset: calls, cache_hits, coalesced, retries,
        rate_limited, errors (client/metrics.py)."""
        return metrics.stats()

    # --- the machinery ---------------------------------------------------------------------
    def _get[R](
        self,
        path: str,
        params: dict[str, str] | None,
        read: Callable[[bytes], R],
        *,
        endpoint: str,
        cacheable: bool,
        fresh: bool,
    ) -> R:
        """``read`` turns an answer's bytes into the result. Callers of the same request share
        its cached answer and its in-flight call, and each reads the bytes its own way."""
        deadline = time.monotonic() + self.config.call_budget
        url = self._prefix + path
        if not (cacheable and self.config.cache_ttl > 0):
            answer = self._fetch(endpoint, url, params, deadline)
            context.note_answer_expiry(answer.expires_at)  # not kept: nor is what it builds
            return _read(read, answer)
        key = cache_key(url, params)
        if fresh:  # bypasses the cache and others' in-flight calls, and refreshes the cache
            answer, result = self._fetch_and_keep(
                endpoint, key, url, params, read, deadline, shared=False
            )
        elif (kept := self._read_kept(read, key, self._cache.get(key))) is not None:
            answer, result = kept
        else:
            metrics.CACHE_LOOKUPS.labels("miss").inc()
            (answer, result), shared = _single_flight.do(
                key,
                lambda: self._fetch_and_keep(
                    endpoint, key, url, params, read, deadline, shared=True
                ),
                wait=deadline - time.monotonic(),
            )
            if shared:
                metrics.COALESCED.inc()
                context.note_upstream_call(answer.request_id)  # the call that answered this one
                result = _read(read, answer)
        context.note_answer_expiry(answer.expires_at)
        return cast(R, result)

    def _fetch_and_keep[R](
        self,
        endpoint: str,
        key: str,
        url: str,
        params: dict[str, str] | None,
        read: Callable[[bytes], R],
        deadline: float,
        *,
        shared: bool,
    ) -> tuple[Answer, R]:
        """Fetch, read and keep an answer. ``shared``: with Redis, one process fetches it while
        the others wait for it to land in the cache (one upstream call for all of them)."""
        token = self._lock.acquire(key) if self._lock is not None and shared else None
        if self._lock is not None and shared:
            if token is None:  # another process is fetching it: wait for its answer
                wait = min(CROSS_PROCESS_WAIT, (deadline - time.monotonic()) / 2)
                content = wait_for_cache(self._cache, key, until=time.monotonic() + wait)
            else:  # another process may have stored it between our miss and our lock
                content = self._cache.get(key)
            kept = self._read_kept(read, key, content)
            if kept is not None:
                if token is not None:
                    self._lock.release(key, token)
                return kept
        try:
            answer = self._fetch(endpoint, url, params, deadline)
            result = _read(read, answer)  # only an answer that reads is worth keeping
            # Its expiry as this process keeps it: readers on another TTL follow this one.
            answer = answer._replace(expires_at=answer.expires_at + self.config.cache_ttl)
            self._cache.set(key, answer.content, answer.expires_at, self.config.cache_ttl)
            return answer, result
        finally:
            if token is not None:
                self._lock.release(key, token)  # type: ignore[union-attr]

    def _read_kept[R](
        self, read: Callable[[bytes], R], key: str, kept: Kept | Any
    ) -> tuple[Answer, R] | None:
        """A kept answer and its reading, or None (nothing kept, or bytes that this caller
        cannot read: kept by a caller that reads less of them, such as the activity chart's
        `properties=False`, or not an answer at all; logged and fetched again, so an error
        names the upstream request it came from)."""
        if kept is MISSING:
            return None
        try:
            result = read(kept.content)
        except ProtocolError:
            logger.warning("Client cache held an answer this call cannot read under %s", key)
            return None
        metrics.CACHE_LOOKUPS.labels("hit").inc()
        return Answer(kept.content, 200, None, kept.expires_at), result

    def _fetch(
        self, endpoint: str, url: str, params: dict[str, str] | None, deadline: float
    ) -> Answer:
        """GET with the rate limit and the retry policy."""
        attempt = 0
        answered: IntileryError | None = None  # the upstream's last error answer
        while True:
            self._take_token(deadline)
            try:
                return send_get(
                    self._session,
                    url,
                    endpoint=endpoint,
                    params=params,
                    token=self.config.api_token,
                    connect_timeout=self.config.connect_timeout,
                    read_timeout=self.config.read_timeout,
                    deadline=deadline,
                    max_bytes=self.config.max_response_bytes,
                )
            except IntileryError as error:
                if error.http_status == 429:
                    metrics.RATE_LIMITED.labels("upstream").inc()
                retry = self._retry.is_retryable(error) and attempt + 1 < self._retry.max_attempts
                delay = self._retry.delay(attempt, error) if retry else None
                if delay is None or time.monotonic() + delay >= deadline:
                    # A last attempt with no answer at all (most often one the budget cut
                    # short) says less than the upstream's last answer and its request id.
                    # (An answer cut off mid-body keeps the 2xx status it started with.)
                    no_answer = isinstance(error, UnavailableError) and (
                        error.http_status is None or error.http_status < 500
                    )
                    if no_answer and answered is not None:
                        raise answered from None
                    raise
                if error.http_status is not None:
                    answered = error
                logger.warning(
                    "Retrying GET %s in %.2fs after %s (attempt %d), upstream req %s",
                    endpoint,
                    delay,
                    error.http_status or type(error).__name__,
                    attempt + 2,
                    error.request_id or "-",
                )
                metrics.RETRIES.labels(endpoint).inc()
                time.sleep(delay)
                attempt += 1

    def _take_token(self, deadline: float) -> None:
        """Wait for a token of this API key's bucket (PAPI-7), or raise once the wait would
        leave the call less than its share of the budget (TOKEN_WAIT_LEAVES)."""
        config = self.config
        waited = 0.0
        latest = deadline - config.call_budget * TOKEN_WAIT_LEAVES
        while True:
            wait = self._buckets.take(
                config.key_fingerprint, config.rate_limit, config.rate_burst, self._reserve
            )
            level = self._buckets.level(config.key_fingerprint)
            if level is not None:
                metrics.BUCKET_TOKENS.set(level)
            if wait <= 0:
                if waited:
                    metrics.RATE_LIMIT_WAIT_SECONDS.observe(waited)
                return
            if time.monotonic() + wait > latest:
                metrics.RATE_LIMITED.labels("bucket").inc()
                raise RateLimitError(
                    "Too many Profiles API requests from this app; try again in a moment.",
                    code="client_rate_limit",
                    retry_after=wait,
                )
            time.sleep(wait)
            waited += wait


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
