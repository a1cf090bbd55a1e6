"""The client over real HTTP against the sandbox (pytest-django's live server)."""

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings

from profileviewer.client import (
    AuthenticationError,
    ClientConfig,
    EventQuery,
    NotFoundError,
    ProfileRef,
    ProfilesClient,
    ProtocolError,
    RateLimitError,
    UnavailableError,
    ValidationError,
    get_client,
)
from profileviewer.client.transport import new_session
from profileviewer.sandbox.store import NewEvent, add_events, create_profile

pytestmark = pytest.mark.django_db(transaction=True)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def sandbox_config(live_server) -> ClientConfig:
    return ClientConfig(
        base_url=live_server.url + "/sandbox",
        client_id="demo",
        account_id="demo",
        brand_id="DEMO",
        api_token="sandbox-token",
        connect_timeout=1.0,
        read_timeout=2.0,
        call_budget=3.0,
    )


@pytest.fixture
def client(sandbox_config) -> ProfilesClient:
    return ProfilesClient(sandbox_config)


def faulty(config: ClientConfig, fault: str, **overrides) -> ProfilesClient:
    """A client whose every request asks the sandbox for a fault (X-Sandbox-Fault)."""
    session = new_session()
    session.headers["X-Sandbox-Fault"] = fault
    return ProfilesClient(replace(config, **overrides), session=session)


@pytest.fixture
def joe():
    profile = create_profile(
        external_id="qrc-117322",
        email="joe.bloggs@example.com",
        first_name="Joe",
        last_name="Bloggs",
        organisation="Intilery",
        subscribed={"email": True},
        custom_traits={"plan": "pro"},
        audiences=["audience_board"],
    )
    add_events(
        profile,
        [
            NewEvent("page_viewed", T0 + timedelta(minutes=i), {"path": f"/p/{i}"})
            for i in range(150)
        ]
        + [
            NewEvent("order_completed", T0 + timedelta(days=1), {"order_id": "o-1"}),
            NewEvent("email_opened", T0 + timedelta(days=2), {"campaign_id": "C"}),
        ],
    )
    return profile


def test_traits_by_external_id(client, joe):  # PAPI-14, PAPI-15
    [traits] = client.traits(ProfileRef("userId", "qrc-117322"))
    assert traits.display_name == "Joe Bloggs"
    assert traits.id == str(joe.id)
    assert traits.custom["plan"] == "pro"
    assert {c.channel: c.subscribed for c in traits.channels}["email"] is True


def test_traits_by_intilery_id(client, joe):
    [traits] = client.traits(ProfileRef("id", str(joe.id)))
    assert traits.external_id == "qrc-117322"


def test_an_email_shared_by_two_profiles_returns_both(client):  # PAPI-14
    create_profile(external_id="sam-taylor-uk", email="sam.taylor@example.com")
    create_profile(external_id="sam-taylor-us", email="sam.taylor@example.com")
    profiles = client.traits(ProfileRef("email", "sam.taylor@example.com"))
    assert sorted(p.external_id for p in profiles) == ["sam-taylor-uk", "sam-taylor-us"]


@pytest.mark.parametrize("external_id", ["acct/00042", "power user+1", "a%2Fb", "x?y#z"])
def test_ids_with_path_and_query_characters_reach_the_right_profile(client, external_id):
    create_profile(external_id=external_id, first_name="Priya")
    [traits] = client.traits(ProfileRef("userId", external_id))
    assert traits.external_id == external_id


def test_an_unknown_profile_is_not_found_with_the_sandbox_request_id(client):
    with pytest.raises(NotFoundError) as caught:
        client.traits(ProfileRef("userId", "nobody"))
    assert caught.value.http_status == 404
    assert caught.value.request_id
    assert str(caught.value).startswith(f"[req {caught.value.request_id}] ")


def test_meta_has_first_and_last_events_and_audiences(client, joe):  # PAPI-18
    [meta] = client.meta(ProfileRef("userId", "qrc-117322"))
    assert meta.traits.first_name == "Joe"
    assert meta.audiences == ("audience_board",)
    assert meta.last_events["email_opened"]["properties"] == {"campaign_id": "C"}
    assert meta.last_activity_time == T0 + timedelta(days=2)


def test_events_newest_first_by_default(client, joe):  # PAPI-13
    page = client.events(ProfileRef("userId", "qrc-117322"), size=3)
    assert [e.action for e in page.events] == ["email_opened", "order_completed", "page_viewed"]
    assert page.next_offset == 3
    assert page.events[0].event_time == T0 + timedelta(days=2)


def test_a_raw_reading_keeps_each_event_as_the_sandbox_wrote_it(client, joe):  # PAPI-16, 17
    ref = ProfileRef("userId", "qrc-117322")
    typed = client.events(ref, size=3)
    kept = client.events(ref, size=3, raw=True)
    assert client.stats()["calls"] == 1  # the second reading is of the cached answer
    assert [e.raw for e in typed.events] == [None] * 3
    [opened, *_] = kept.events
    assert opened.raw is not None
    assert opened.raw["eventAction"] == "email_opened"
    assert opened.raw["userId"] == "qrc-117322"
    assert opened.raw["rawData"]["properties"] == {"campaign_id": "C"}
    assert [replace(e, raw=None) for e in kept.events] == list(typed.events)


def test_events_filters_reach_the_sandbox(client, joe):  # PAPI-13
    ref = ProfileRef("userId", "qrc-117322")
    only_orders = client.events(ref, EventQuery(include="order_completed"))
    assert [e.properties for e in only_orders.events] == [{"order_id": "o-1"}]
    no_pages = client.events(ref, EventQuery(exclude=("page_viewed", "order_completed")))
    assert [e.action for e in no_pages.events] == ["email_opened"]
    window = client.events(
        ref,
        EventQuery(
            start=T0 + timedelta(minutes=9, seconds=30), end=T0 + timedelta(minutes=12), sort="asc"
        ),
    )
    assert [e.properties["path"] for e in window.events] == ["/p/10", "/p/11"]


def test_iter_events_pages_through_all_of_them(client, joe):
    events = list(client.iter_events(ProfileRef("userId", "qrc-117322"), page_size=40))
    assert len(events) == 152
    assert len({e.event_id for e in events}) == 152
    assert client.stats()["calls"] == 4


def test_external_ids_list_each_identity(client, joe):
    ids = {(e.type, e.value) for e in client.external_ids(ProfileRef("userId", "qrc-117322"))}
    assert {("userId", "qrc-117322"), ("email", "joe.bloggs@example.com")} <= ids


def test_external_ids_beyond_one_page_are_all_listed(client):  # PAPI-3, PAPI-11
    extra = [("anonymousId", f"anon-{i:03d}") for i in range(150)]
    create_profile(external_id="many-ids", email="many@example.com", extra_identities=extra)
    ids = client.external_ids(ProfileRef("userId", "many-ids"))
    assert len(ids) == 153
    assert {e.value for e in ids if e.type == "anonymousId"} == {v for _, v in extra}
    assert client.stats()["calls"] == 2


def test_listing_scrolls_through_every_profile(client):  # PAPI-4
    made = {str(create_profile(external_id=f"p-{i}").id) for i in range(5)}
    seen, scroll_id, pages = set(), None, 0
    while True:
        page = client.list_profiles(scroll_id, size=2)
        if not page.profiles:
            break
        pages += 1
        seen |= {p.id for p in page.profiles}
        scroll_id = page.scroll_id
    assert seen == made
    assert pages == 3
    assert {t.id for t, _ in client.iter_profiles()} == made


def test_a_wrong_key_is_an_authentication_error(sandbox_config):  # PAPI-6
    client = ProfilesClient(replace(sandbox_config, api_token="wrong-token"))
    with pytest.raises(AuthenticationError):
        client.traits(ProfileRef("userId", "qrc-117322"))
    assert client.stats()["calls"] == 1


def test_cached_answers_do_not_call_the_sandbox_again(client, joe):
    ref = ProfileRef("userId", "qrc-117322")
    client.traits(ref)
    client.traits(ref)
    client.traits(ref, fresh=True)
    assert client.stats()["calls"] == 2
    assert client.stats()["cache_hits"] == 1


def test_get_client_follows_override_settings(live_server, joe):
    with override_settings(INTILERY_API_URL=live_server.url + "/sandbox"):
        [traits] = get_client().traits(ProfileRef("userId", "qrc-117322"))
    assert traits.first_name == "Joe"


# --- the sandbox's fault injection --------------------------------------------------------
def test_injected_503s_end_unavailable_within_the_budget(sandbox_config, joe):
    client = faulty(sandbox_config, "error_rate=1; error_status=503", call_budget=1.0)
    with pytest.raises(UnavailableError) as caught:
        client.traits(ProfileRef("userId", "qrc-117322"))
    assert caught.value.http_status == 503
    assert caught.value.request_id
    assert client.stats()["retries"] >= 1


def test_injected_429_with_a_long_retry_after_is_reported_at_once(sandbox_config, joe):
    client = faulty(sandbox_config, "rate_limit_rate=1; retry_after=5")
    with pytest.raises(RateLimitError) as caught:
        client.traits(ProfileRef("userId", "qrc-117322"))
    assert caught.value.retry_after == 5
    assert client.stats()["calls"] == 1


def test_injected_malformed_json_is_a_protocol_error(sandbox_config, joe):
    client = faulty(sandbox_config, "malformed_rate=1")
    with pytest.raises(ProtocolError):
        client.traits(ProfileRef("userId", "qrc-117322"))


def test_injected_latency_beyond_the_read_timeout_is_unavailable(sandbox_config, joe):
    client = faulty(sandbox_config, "latency_ms=1500", read_timeout=0.3, call_budget=0.8)
    with pytest.raises(UnavailableError):
        client.traits(ProfileRef("userId", "qrc-117322"))


def test_an_injected_slow_drip_is_cut_off_at_the_budget(sandbox_config, joe):
    client = faulty(sandbox_config, "slow_drip_ms=3000", call_budget=1.0)
    with pytest.raises(UnavailableError):
        client.events(ProfileRef("userId", "qrc-117322"))


def test_paging_past_the_window_is_refused_before_reaching_the_sandbox(client, joe):  # PAPI-11
    with pytest.raises(ValidationError):
        client.events(ProfileRef("userId", "qrc-117322"), offset=9_950, size=100)
    assert client.stats()["calls"] == 0


def test_the_sandboxs_own_429_is_waited_out_when_its_retry_after_fits(client, joe):  # PAPI-7
    ref = ProfileRef("userId", "qrc-117322")
    with override_settings(SANDBOX_RATE_LIMIT=2, SANDBOX_RATE_BURST=2):
        client.traits(ref, fresh=True)
        client.traits(ref, fresh=True)
        started = time.monotonic()
        [traits] = client.traits(ref, fresh=True)  # 429, Retry-After: 1, then served
    assert traits.first_name == "Joe"
    assert time.monotonic() - started >= 1.0
    assert client.stats()["rate_limited"] == 1
    assert client.stats()["retries"] == 1
