"""Events paging, the profile listing, caching, single flight and the in-process bucket,
against a local upstream that records what it was asked."""

import json
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache as default_cache
from django.core.cache.backends.locmem import LocMemCache
from django.test import override_settings

from profileviewer.client import (
    EventQuery,
    NotFoundError,
    ProfileRef,
    ProfilesClient,
    ProtocolError,
    RateLimitError,
    ValidationError,
    get_client,
)
from profileviewer.client.cache import cache_key
from profileviewer.observability import context
from profileviewer.ratelimit import LocalBuckets
from tests.client.conftest import make_config, ok, slow, status

REF = ProfileRef("userId", "qrc-117322")
JOE = {"id": "4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe", "firstName": "Joe"}


def event(n):
    return {
        "id": JOE["id"],
        "eventId": f"e{n}",
        "eventTime": "2026-01-01T00:00:00Z",
        "eventAction": "page_viewed",
        "rawData": {"event": "Page Viewed", "properties": {"n": n}},
    }


def full_pages(handler):
    """Any page is full: the profile has more events than the window (PAPI-11)."""
    query = parse_qs(urlsplit(handler.path).query)
    start, size = int(query["from"][0]), int(query["size"][0])
    ok({"scrollId": "s", "data": [event(start + i) for i in range(size)]})(handler)


def query_of(request):
    return {k: v[0] for k, v in parse_qs(urlsplit(request["path"]).query).items()}


def test_events_sends_filters_and_paging(hostile, client_for):  # PAPI-11, PAPI-13
    hostile.will(ok({"scrollId": "abc", "data": [event(1)]}))
    page = client_for().events(
        REF, EventQuery(include="order_completed", sort="asc"), offset=200, size=50
    )
    assert query_of(hostile.requests[0]) == {
        "include": "order_completed",
        "sort": "asc",
        "from": "200",
        "size": "50",
    }
    assert page.scroll_id == "abc"
    assert page.events[0].properties == {"n": 1}
    assert page.next_offset is None  # 1 of 50: the end


@pytest.mark.parametrize(("offset", "size"), [(0, 0), (0, 101), (-1, 10), (9950, 100), (0, True)])
def test_paging_outside_the_contract_is_refused_before_any_call(  # PAPI-11
    hostile, client_for, offset, size
):
    with pytest.raises(ValidationError):
        client_for().events(REF, offset=offset, size=size)
    assert hostile.requests == []


def test_a_start_after_the_end_is_refused_before_any_call(hostile, client_for):

    query = EventQuery(start=datetime(2026, 2, 1, tzinfo=UTC), end=datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(ValidationError):
        client_for().events(REF, query)
    assert hostile.requests == []


@pytest.mark.parametrize(
    "query",
    [
        EventQuery(start=datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-12)))),
        EventQuery(end=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))),
    ],
)
def test_a_time_with_no_utc_equivalent_is_refused_before_any_call(hostile, client_for, query):
    with pytest.raises(ValidationError, match="outside the dates"):
        client_for().events(REF, query)
    assert hostile.requests == []


def test_a_start_without_a_zone_is_compared_with_an_end_as_utc(hostile, client_for):
    hostile.will(ok({"data": []}))
    query = EventQuery(start=datetime(2026, 1, 1, 12), end=datetime(2026, 1, 1, 13, tzinfo=UTC))
    client_for().events(REF, query)
    with pytest.raises(ValidationError, match="before the end"):
        client_for().events(REF, replace(query, start=datetime(2026, 1, 1, 14)))


def test_iter_events_stops_cleanly_at_the_10000_window(hostile, client_for):  # PAPI-11
    hostile.will(full_pages)
    events = list(client_for().iter_events(REF, page_size=100))
    assert len(events) == 10_000
    assert len(hostile.requests) == 100
    assert events[-1].properties == {"n": 9999}


def test_iter_events_with_an_uneven_page_size_ends_exactly_at_the_window(hostile, client_for):
    hostile.will(full_pages)
    events = list(client_for().iter_events(REF, page_size=70))
    assert len(events) == 10_000
    assert query_of(hostile.requests[-1]) == {"sort": "desc", "from": "9940", "size": "60"}


def test_iter_events_stops_at_a_short_page(hostile, client_for):
    hostile.will(
        ok({"scrollId": "a", "data": [event(i) for i in range(100)]}),
        ok({"scrollId": "b", "data": [event(i) for i in range(100, 130)]}),
    )
    assert len(list(client_for().iter_events(REF))) == 130
    assert len(hostile.requests) == 2


def test_iter_profiles_scrolls_until_data_is_empty(hostile, client_for):  # PAPI-4
    hostile.will(
        ok({"scrollId": "s1", "data": [{"id": "a"}, {"id": "b"}]}),
        ok({"scrollId": "s2", "data": [{"id": "c"}]}),
        ok({"scrollId": "s3", "data": []}),
    )
    seen = [(traits.id, scroll) for traits, scroll in client_for().iter_profiles()]
    assert seen == [("a", None), ("b", None), ("c", "s1")]
    assert [query_of(r).get("scrollId") for r in hostile.requests] == [None, "s1", "s2"]


def test_iter_profiles_resumes_from_a_scroll_id(hostile, client_for):
    hostile.will(ok({"scrollId": "s9", "data": [{"id": "z"}]}), ok({"data": []}))
    assert [t.id for t, _ in client_for().iter_profiles(start_scroll_id="s8")] == ["z"]
    assert query_of(hostile.requests[0])["scrollId"] == "s8"


def test_external_ids_are_listed(hostile, client_for):
    hostile.will(ok({"data": [{"id": "qrc-117322", "type": "userId", "profileId": JOE["id"]}]}))
    [ext] = client_for().external_ids(REF)
    assert (ext.type, ext.value) == ("userId", "qrc-117322")
    assert hostile.requests[0]["path"].endswith("/userId:qrc-117322/external_ids?from=0&size=100")


# --- caching ---------------------------------------------------------------------------------
def kept_key(client, path, params=None):
    """The cache key of a request of ``client``'s (``cache_key`` of its full URL and query)."""
    config = client.config
    return cache_key(f"{config.base_url}{config.tenant_path}/profiles/{path}", params)


def test_a_second_identical_call_is_served_from_the_cache(hostile, client_for):
    hostile.will(ok(JOE))
    client = client_for()
    first = client.traits(REF)
    second = client.traits(REF)
    assert first == second
    assert len(hostile.requests) == 1
    assert client.stats()["cache_hits"] == 1


def test_the_cache_keeps_the_answer_as_sent_and_reads_it_back_whole(hostile, client_for):
    page = {"data": [event(1), {**event(2), "rawData": {"properties": {"big": 2**70}}}]}
    hostile.will(ok(page))
    client = client_for()
    first = client.events(REF, offset=0, size=10)
    key = kept_key(client, "userId:qrc-117322/events", {"sort": "desc", "from": "0", "size": "10"})
    assert default_cache.get(key)[0] == json.dumps(page).encode()  # the bytes as sent
    second = client.events(REF, offset=0, size=10)
    assert second == first and second.events[1].properties == {"big": 2**70}
    assert len(hostile.requests) == 1


def test_a_request_learns_when_the_answers_it_read_expire_as_their_writer_kept_them(
    hostile, client_for
):
    # What is built from answers is kept no longer than they are (viewer/fragments.py), even
    # by a process configured to keep answers longer than the one that wrote them.
    hostile.will(ok(JOE))
    token = context.begin()
    try:
        before = time.time()
        client_for(cache_ttl=15).traits(REF)
        written = context.answers_expire_at()
        assert written is not None and before + 15 <= written <= time.time() + 15
    finally:
        context.end(token)
    token = context.begin()
    try:
        client_for(cache_ttl=60).traits(REF)
        assert context.answers_expire_at() == written
        assert len(hostile.requests) == 1
    finally:
        context.end(token)


@pytest.mark.parametrize(
    "kept",
    [
        {"id": "a dict, as cache v1 kept it"},
        b'{"id": "bytes, as v2 kept them"}',
        "text",
        (b"not json", 1e12),
    ],
)
def test_a_cache_entry_that_is_not_a_readable_answer_is_a_miss(hostile, client_for, kept):
    hostile.will(ok(JOE))
    client = client_for()
    client.traits(REF)
    key = kept_key(client, "userId:qrc-117322/traits")
    assert default_cache.get(key) is not None
    default_cache.set(key, kept, 30)
    assert client.traits(REF)[0].first_name == "Joe"
    assert len(hostile.requests) == 2


def test_an_answer_kept_by_a_lighter_reading_that_a_fuller_one_refuses_is_asked_again(
    hostile, client_for
):
    # The activity chart reads pages without rawData (properties=False), so it keeps one whose
    # rawData a full reading refuses: that reading asks the upstream, and its error names the
    # upstream's request, as any refused answer's does.
    hostile.will(ok({"data": [{**event(1), "rawData": "not an object"}]}))
    client = client_for()
    assert client.events(REF, offset=0, size=10, properties=False).events[0].event_id == "e1"
    with pytest.raises(ProtocolError) as refused:
        client.events(REF, offset=0, size=10)
    assert refused.value.request_id == "req-1111-2222"
    assert len(hostile.requests) == 2
    # The chart's reading is still served from the cache.
    client.events(REF, offset=0, size=10, properties=False)
    assert len(hostile.requests) == 2


def test_fresh_bypasses_the_cache_and_refreshes_it(hostile, client_for):
    hostile.will(ok(JOE), ok({**JOE, "firstName": "Joseph"}))
    client = client_for()
    client.traits(REF)
    assert client.traits(REF, fresh=True)[0].first_name == "Joseph"
    assert client.traits(REF)[0].first_name == "Joseph"
    assert len(hostile.requests) == 2


def test_different_queries_are_cached_apart(hostile, client_for):
    hostile.will(ok({"data": [event(1)]}))
    client = client_for()
    client.events(REF, offset=0, size=10)
    client.events(REF, offset=10, size=10)
    client.events(REF, EventQuery(sort="asc"), offset=0, size=10)
    client.events(REF, offset=0, size=10)
    assert len(hostile.requests) == 3


def test_tenants_are_cached_apart(hostile):
    hostile.will(ok(JOE))
    ProfilesClient(make_config(hostile.url, brand_id="ONE")).traits(REF)
    ProfilesClient(make_config(hostile.url, brand_id="TWO")).traits(REF)
    assert len(hostile.requests) == 2


def test_errors_are_not_cached(hostile, client_for):
    hostile.will(status(404, {"error": {"code": "not_found", "message": "No."}}), ok(JOE))
    client = client_for()
    with pytest.raises(NotFoundError):
        client.traits(REF)
    assert client.traits(REF)[0].first_name == "Joe"


def test_a_ttl_of_zero_turns_caching_off(hostile, client_for):
    hostile.will(ok(JOE))
    client = client_for(cache_ttl=0)
    client.traits(REF)
    client.traits(REF)
    assert len(hostile.requests) == 2


def test_the_listing_is_never_cached(hostile, client_for):
    hostile.will(ok({"scrollId": "s", "data": [{"id": "a"}]}))
    client = client_for()
    client.list_profiles()
    client.list_profiles()
    assert len(hostile.requests) == 2


# --- single flight -----------------------------------------------------------------------------
def run_at_once(count, fn):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def worker():
        barrier.wait()
        try:
            results.append(fn())
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


class WatchedCache(LocMemCache):
    """A cache of the test's own whose ``missed`` is set once ``misses`` look-ups missed."""

    def __init__(self, misses: int) -> None:
        super().__init__(f"watched-{uuid.uuid4().hex}", {})
        self._misses = misses
        self._count = 0
        self._count_lock = threading.Lock()
        self.missed = threading.Event()

    def get(self, key, default=None, version=None):
        value = super().get(key, default, version)
        if value is default:
            with self._count_lock:
                self._count += 1
                if self._count >= self._misses:
                    self.missed.set()
        return value


def answered_once_all_missed(callers, then):
    """A cache for a client, and an upstream behaviour that answers (with ``then``) only once
    ``callers`` callers have missed that cache: all of them ask while the call is in flight."""
    cache = WatchedCache(misses=callers)

    def held(handler):
        assert cache.missed.wait(5)
        then(handler)

    return cache, held


def test_concurrent_identical_calls_share_one_upstream_call(hostile):
    cache, held = answered_once_all_missed(20, ok(JOE))
    hostile.will(held)
    client = ProfilesClient(make_config(hostile.url), cache=cache, buckets=LocalBuckets())
    results, errors = run_at_once(20, lambda: client.traits(REF))
    assert errors == []
    assert len(results) == 20 and all(r[0].first_name == "Joe" for r in results)
    assert len(hostile.requests) == 1
    assert client.stats()["coalesced"] == 19


def test_concurrent_callers_share_the_leaders_error_too(hostile):
    not_found = status(404, {"error": {"code": "not_found", "message": "No."}})
    cache, held = answered_once_all_missed(10, not_found)
    hostile.will(held)
    client = ProfilesClient(make_config(hostile.url), cache=cache, buckets=LocalBuckets())
    results, errors = run_at_once(10, lambda: client.traits(REF))
    assert results == []
    assert len(errors) == 10 and all(isinstance(e, NotFoundError) for e in errors)
    assert len({id(e) for e in errors}) == 10  # each caller raises its own copy
    assert len(hostile.requests) == 1


@pytest.mark.parametrize("leader_raw", [False, True], ids=["typed-leads", "raw-leads"])
def test_a_raw_and_a_typed_reading_of_one_request_share_one_call(hostile, leader_raw):
    # The timeline (typed) and a row's raw event (raw=True) ask for the same page at once:
    # one upstream call, and each caller gets its own reading of it.
    arrived = threading.Event()
    cache, held = answered_once_all_missed(2, ok({"data": [event(1)], "scrollId": "s-1"}))

    def arriving(handler):
        arrived.set()
        held(handler)

    hostile.will(arriving)
    client = ProfilesClient(make_config(hostile.url), cache=cache, buckets=LocalBuckets())
    pages = {}

    def read(raw):
        pages[raw] = client.events(REF, offset=0, size=10, raw=raw)

    leader = threading.Thread(target=read, args=(leader_raw,))
    leader.start()
    assert arrived.wait(5)  # the leader's call is at the upstream
    follower = threading.Thread(target=read, args=(not leader_raw,))
    follower.start()
    leader.join(10)
    follower.join(10)

    assert len(hostile.requests) == 1
    assert client.stats()["coalesced"] == 1
    typed, kept = pages[False], pages[True]
    assert [e.raw for e in typed.events] == [None]
    assert [e.raw for e in kept.events] == [event(1)]
    assert [replace(e, raw=None) for e in kept.events] == list(typed.events)
    assert typed.scroll_id == kept.scroll_id == "s-1"


def test_a_raw_reading_of_a_cached_answer_keeps_the_json(hostile, client_for):
    hostile.will(ok({"data": [event(1)]}))
    client = client_for()
    assert client.events(REF, offset=0, size=10).events[0].raw is None
    assert client.events(REF, offset=0, size=10, raw=True).events[0].raw == event(1)
    assert len(hostile.requests) == 1


def test_fresh_calls_each_fetch_and_the_newest_answer_is_kept(hostile, client_for):
    hostile.will(ok({**JOE, "firstName": "Jo"}), ok(JOE))
    client = client_for()
    assert client.traits(REF, fresh=True)[0].first_name == "Jo"
    assert client.traits(REF, fresh=True)[0].first_name == "Joe"
    assert client.traits(REF)[0].first_name == "Joe"
    assert len(hostile.requests) == 2


# --- the in-process bucket -----------------------------------------------------------------
def test_an_empty_bucket_refuses_within_the_budget_without_calling(hostile, client_for):
    hostile.will(ok(JOE))
    client = client_for(rate_limit=0.5, rate_burst=3, call_budget=0.5, cache_ttl=0)
    for _ in range(3):
        client.traits(REF)
    started = time.monotonic()
    with pytest.raises(RateLimitError) as caught:
        client.traits(REF)
    assert time.monotonic() - started < 0.2  # it knew the wait exceeded the budget
    assert caught.value.retry_after == pytest.approx(2.0, abs=0.3)
    assert caught.value.http_status is None
    assert len(hostile.requests) == 3
    assert client.stats()["rate_limited"] == 1


def test_a_token_that_would_leave_no_time_for_the_call_is_busy_not_unavailable(hostile, client_for):
    # The upstream takes 0.3 s; the next token comes 0.7 s later, leaving 0.2 s of 0.9 s.
    hostile.will(slow(0.3, ok(JOE)))
    client = client_for(rate_limit=1, rate_burst=1, call_budget=0.9, cache_ttl=0)
    client.traits(REF)
    started = time.monotonic()
    with pytest.raises(RateLimitError) as caught:
        client.traits(REF)
    assert time.monotonic() - started < 0.2  # refused at once, not after a wasted wait
    assert caught.value.code == "client_rate_limit"
    assert len(hostile.requests) == 1


def test_an_empty_bucket_waits_for_a_token_when_the_budget_allows(hostile, client_for):
    hostile.will(ok(JOE))
    client = client_for(rate_limit=10, rate_burst=1, call_budget=1.0, cache_ttl=0)
    started = time.monotonic()
    client.traits(REF)
    client.traits(REF)
    assert 0.08 <= time.monotonic() - started < 0.5
    assert len(hostile.requests) == 2


def test_clients_with_the_same_key_share_one_bucket(hostile):
    config = make_config(hostile.url, rate_limit=0.001, rate_burst=2, call_budget=0.2, cache_ttl=0)
    hostile.will(ok(JOE))
    ProfilesClient(config).traits(REF)
    ProfilesClient(config).traits(REF)
    with pytest.raises(RateLimitError):
        ProfilesClient(config).traits(REF)


# --- get_client ------------------------------------------------------------------------------
def test_get_client_is_one_per_process_and_follows_settings(hostile):
    first = get_client()
    assert get_client() is first
    with override_settings(INTILERY_API_URL=hostile.url, INTILERY_CLIENT_ID="acme"):
        moved = get_client()
        assert moved is not first
        assert moved.config.base_url == hostile.url
    assert get_client().config == first.config


def test_a_client_with_half_the_share_leaves_half_the_burst(hostile, client_for):
    hostile.will(ok(JOE))
    export = client_for(rate_limit=0.001, rate_burst=4, rate_share=0.5, call_budget=0.2)
    export.traits(ProfileRef("userId", "a"))
    export.traits(ProfileRef("userId", "b"))
    with pytest.raises(RateLimitError):
        export.traits(ProfileRef("userId", "c"))
    assert len(hostile.requests) == 2


def test_an_unexpected_failure_inside_the_client_still_ends_as_an_intilery_error(hostile):
    class BrokenBuckets:
        def take(self, name: str, rate: float, burst: float, reserve: float = 0.0) -> float:
            raise RuntimeError("bug")

    client = ProfilesClient(make_config(hostile.url), buckets=BrokenBuckets())
    with pytest.raises(ProtocolError, match="failed unexpectedly"):
        client.traits(REF)
    assert client.stats()["errors"] == 1


def test_cookies_from_one_answer_are_not_sent_with_the_next(hostile, client_for):
    hostile.will(ok(JOE, headers={"Set-Cookie": "session=tenant-a; Path=/"}))
    client = client_for(cache_ttl=0)
    client.traits(REF)
    client.traits(REF)
    assert "Cookie" not in hostile.requests[1]["headers"]
