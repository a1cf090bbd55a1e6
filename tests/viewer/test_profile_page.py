"""The profile page: a header with identities, and six panels that load in parallel."""

from __future__ import annotations

import re
import threading

from django.conf import settings
from django.test import Client, override_settings

from profileviewer import parallel
from profileviewer.client import NotFoundError, UnavailableError
from tests.viewer.conftest import HTMX, JOE, NO_EVENTS, asked_for
from tests.viewer.test_panels import joe_meta

PANEL_URLS = [
    "/profile/summary?",
    "/profile/traits?",
    "/profile/meta?",
    "/profile/activity?",
    "/profile/viewed-not-bought?",
    "/profile/timeline?",
]


def header_answer(agent: Client, ref: str = JOE, **params: str):
    """The answer to the header a first view loads beside its panels (htmx)."""
    return agent.get("/profile/header", {"ref": ref, **params}, **HTMX)


def test_a_first_view_does_not_wait_for_the_upstream(agent, stub_client) -> None:
    # The page comes back at once, its header loading beside the six panels, while the reads
    # they need have already started upstream.
    asked, release, answered = threading.Event(), threading.Event(), threading.Event()

    def slow_meta(*args, **kwargs):
        asked.set()
        release.wait(10)
        answered.set()
        return [joe_meta()]

    stub_client(meta=slow_meta, events=NO_EVENTS)
    try:
        html = agent.get("/profile", {"ref": JOE}).content.decode()
        assert not answered.is_set()  # the page did not wait for the customer's answer
    finally:
        release.set()
    assert asked.wait(5), "the page did not start the header's read"
    slot = re.search(r'<header class="profile-header card is-loading"[^>]*>', html).group(0)
    assert 'hx-get="/profile/header?ref=userId%3Aqrc-117322"' in slot
    assert 'hx-trigger="load"' in slot and 'aria-busy="true"' in slot
    assert "Loading the customer userId:qrc-117322" in html


def test_the_header_shows_name_organisation_and_identities_with_copy_buttons(
    agent: Client, upstream
) -> None:
    html = header_answer(agent).content.decode()
    assert html.startswith("<title>Joe Bloggs · Profile Viewer</title>")  # htmx sets it
    assert '<h1 id="profile-name">Joe Bloggs</h1>' in html
    assert "Intilery · Other" in html
    assert "Matched by external id" in html
    for value in (
        "qrc-117322",
        "joe.bloggs@example.com",
        str(upstream["joe"].id),
        "+44 7700 900123",
    ):
        assert f'data-copy="{value}"' in html
    assert 'href="tel:+447700900123"' in html
    assert "<html" not in html


def test_a_look_up_then_its_profile_page_read_the_customer_once(
    agent: Client, upstream, upstream_requests
) -> None:
    # The page always loads its header beside the panels; the header, the traits, the
    # metadata and every panel's customer check read the look-up's `meta` answer.
    assert agent.get("/lookup", {"q": "qrc-117322"}).status_code == 302
    html = agent.get("/profile", {"ref": JOE}).content.decode()
    assert 'hx-get="/profile/header?ref=userId%3Aqrc-117322" hx-trigger="load"' in html
    assert parallel.wait_idle()
    header = header_answer(agent).content.decode()
    assert '<h1 id="profile-name">Joe Bloggs</h1>' in header
    assert "<title>Joe Bloggs · Profile Viewer</title>" in header
    for url in PANEL_URLS:
        html = agent.get(url + "ref=userId%3Aqrc-117322", **HTMX).content.decode()
        assert "panel-error" not in html, url
    assert len(asked_for(upstream_requests, "meta")) == 1
    assert asked_for(upstream_requests, "traits") == []


def test_every_panel_loads_on_its_own_url_in_parallel_with_a_skeleton(
    agent: Client, upstream
) -> None:
    html = agent.get("/profile", {"ref": JOE}).content.decode()
    triggers = re.findall(r'hx-get="(/profile/[a-z-]+\?[^"]*)" hx-trigger="load', html)
    assert [t.split("ref=")[0] for t in triggers] == ["/profile/header?", *PANEL_URLS]
    assert all("ref=userId%3Aqrc-117322" in t for t in triggers)
    # Traits right after the others (htmx runs a delayed trigger once it has sent them): a
    # browser's seventh request to one host waits for a connection, and traits, which read the
    # `meta` answer of the customer check the page started, cost least to wait.
    [traits] = re.findall(r'hx-get="(/profile/traits\?[^"]*)" hx-trigger="load delay:1ms"', html)
    assert "ref=userId%3Aqrc-117322" in traits
    assert html.count('class="skeleton"') == 7
    assert html.count('aria-live="polite"') >= 6


def test_refresh_reloads_every_panel_bypassing_the_cache(agent: Client, upstream) -> None:
    html = header_answer(agent).content.decode()
    assert 'hx-get="/profile?ref=userId%3Aqrc-117322&amp;fresh=1"' in html
    refreshed = agent.get("/profile", {"ref": JOE, "fresh": "1"}, **HTMX).content.decode()
    assert refreshed.lstrip().startswith('<div id="profile-body"')
    assert "<html" not in refreshed
    # The header too.
    assert refreshed.count('&amp;fresh=1" hx-trigger="load') == 7
    assert 'hx-get="/profile/header?ref=userId%3Aqrc-117322&amp;fresh=1"' in refreshed


def test_a_fresh_refresh_really_asks_the_upstream_again(agent, stub_client) -> None:
    stub = stub_client(meta=[joe_meta()])
    header_answer(agent, fresh="1")
    assert stub.calls[0][2] == {"fresh": True}


def test_an_email_shared_by_several_profiles_lists_them_instead(agent: Client, upstream) -> None:
    ref = "email:sam.taylor@example.com"
    assert agent.get("/profile", {"ref": ref}).status_code == 200
    # The page's header sends the agent to the list, every time it is asked.
    for _ in range(2):
        response = header_answer(agent, ref)
        assert response["HX-Redirect"] == "/lookup?q=email%3Asam.taylor%40example.com"
    assert "2 customers match" in agent.get(response["HX-Redirect"]).content.decode()


def test_an_unknown_customer_is_no_customer_found(agent: Client, upstream) -> None:
    response = header_answer(agent, "userId:<b>nobody-here</b>")
    assert response.status_code == 200  # htmx swaps only 2xx answers
    # The whole profile, panels included, becomes the "no customer found" state.
    assert response["HX-Retarget"] == "#profile-body"
    assert response["HX-Reswap"] == "outerHTML"
    html = response.content.decode()
    assert "<title>No customer found · Profile Viewer</title>" in html
    assert '<div id="profile-body" class="profile">' in html
    assert "No customer found" in html
    assert "&lt;b&gt;nobody-here&lt;/b&gt;" in html and "<b>nobody" not in html


def test_the_panels_of_someone_who_is_not_a_customer_read_nothing_but_the_check(
    agent, stub_client
) -> None:
    # A helpdesk requester is often not a customer: each panel of their page asks whether
    # they are one (`meta`) and reads nothing else.
    stub = stub_client(NotFoundError("no such profile", request_id="r-404"))
    header_answer(agent)
    for url in PANEL_URLS:
        html = agent.get(url + "ref=userId%3Aqrc-117322", **HTMX).content.decode()
        assert "panel-error" in html and "No customer found" in html
    assert stub.names() == {"meta"}


def test_a_non_customers_page_shows_no_customer_found_everywhere(agent, stub_client) -> None:
    # The page's warm-up reads fail with "not found"; nothing of them reaches the agent.
    stub_client(NotFoundError("no such profile", request_id="r-404"))
    assert agent.get("/profile", {"ref": JOE}).status_code == 200
    assert parallel.wait_idle()
    assert "No customer found" in header_answer(agent).content.decode()
    for url in PANEL_URLS:
        html = agent.get(url + "ref=userId%3Aqrc-117322", **HTMX).content.decode()
        assert "No customer found" in html, url


def test_a_malformed_ref_is_a_clear_message_not_an_error_page(agent: Client, db: None) -> None:
    for ref in ("", "nonsense", "id:123", "<script>x</script>", "userId:" + "a" * 600):
        response = agent.get("/profile", {"ref": ref})
        assert response.status_code == 400
        html = response.content.decode()
        assert "Check the search" in html
        assert "<script>x" not in html
        header = header_answer(agent, ref)
        assert header.status_code == 200
        assert "Check the search" in header.content.decode()
        assert "<script>x" not in header.content.decode()


TWO_CUSTOMERS = "ref=userId%3Aqrc-117322&ref=email%3Atheo.robinson146%40example.com"


def test_a_link_naming_two_customers_shows_neither_and_says_so(agent: Client, stub_client) -> None:
    # An edited or appended link must not show whichever customer came last.
    stub = stub_client(UnavailableError("must not be called"))
    for url in ["/profile?", "/profile/header?", *PANEL_URLS, "/profile/event?event_id=e&"]:
        for extra in ({}, HTMX):
            response = agent.get(url + TWO_CUSTOMERS, **extra)
            html = response.content.decode()
            assert response.status_code in (200, 400), url
            assert "names more than one customer" in html, (url, extra)
            assert "Theo" not in html and "Joe" not in html
    live = agent.get("/profile/timeline?since=2026-01-01T00:00Z&" + TWO_CUSTOMERS, **HTMX)
    assert live.status_code == 286 and "names more than one customer" in live.content.decode()
    assert stub.calls == []
    # The same customer twice, or beside an empty ref, is still that customer.
    assert agent.get("/profile", {"ref": [JOE, JOE]}).status_code == 200
    assert agent.get("/profile", {"ref": [JOE, ""]}).status_code == 200
    redirect = agent.get("/profile/header", {"ref": [JOE, ""]})
    assert redirect["Location"] == "/profile?ref=userId%3Aqrc-117322"


def test_the_header_url_opened_as_a_page_goes_to_the_profile(agent: Client, db: None) -> None:
    response = agent.get("/profile/header", {"ref": JOE})
    assert response.status_code == 302
    assert response["Location"] == "/profile?ref=userId%3Aqrc-117322"


def test_the_header_url_opened_with_a_huge_ref_goes_to_the_profiles_error(
    agent: Client, db: None
) -> None:
    response = agent.get("/profile/header", {"ref": "userId:" + "é" * 5000})
    assert response.status_code == 400
    assert "too long" in response.content.decode()
    # Not cut into a shorter ref that might name someone else.
    padded = agent.get("/profile/header", {"ref": "userId:qrc-117322" + " " * 600 + "x"})
    assert padded.status_code == 400


def test_when_the_header_fails_the_panels_still_load_on_their_own(agent, stub_client) -> None:
    def meta_down(*args, **kwargs):
        raise UnavailableError("down", request_id="req-hdr")

    stub_client(meta=meta_down, events=NO_EVENTS)
    page = agent.get("/profile", {"ref": JOE}).content.decode()
    assert page.count('hx-trigger="load') == 7
    response = header_answer(agent)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Customer database unavailable" in html
    assert "req-hdr" in html
    assert "<title>Customer · Profile Viewer</title>" in html
    # The customer check failed too; the timeline still asks for its own events.
    timeline = agent.get("/profile/timeline", {"ref": JOE}, **HTMX).content.decode()
    assert "panel-error" not in timeline
    assert "No events recorded" in timeline


def test_a_ref_with_spaces_and_plus_signs_survives_the_round_trip(agent, stub_client) -> None:
    stub = stub_client(meta=[joe_meta()], events=NO_EVENTS)
    html = agent.get("/profile?ref=userId%3Apower%20user%2B1").content.decode()
    header_url = re.search(r'hx-get="(/profile/header\?[^"]*)"', html).group(1)
    assert '<h1 id="profile-name">Joe Bloggs</h1>' in (
        agent.get(header_url.replace("&amp;", "&"), **HTMX).content.decode()
    )
    assert parallel.wait_idle()
    # The page's own reads (its warm-up) and the header's all name that customer.
    assert stub.calls and {str(call[1][0]) for call in stub.calls} == {"userId:power user+1"}


def test_the_page_uses_our_stylesheet_vendored_htmx_and_nonced_scripts(agent, upstream) -> None:
    response = agent.get("/profile", {"ref": JOE})
    html = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)
    assert all("http" not in tag for tag in scripts)
    assert "/static/django_htmx/htmx-2" in html
    assert '"includeIndicatorStyles": false' in html
    assert " style=" not in html and " onclick=" not in html


def test_a_profile_page_starts_its_panels_reads_so_they_find_them_ready(
    agent, upstream, upstream_requests
) -> None:
    # The browser asks for the header and the panels only once the page and its scripts have
    # loaded; by then the page has started their reads, and they ask the upstream nothing.
    assert agent.get("/profile", {"ref": JOE}).status_code == 200
    assert parallel.wait_idle()
    assert asked_for(upstream_requests, "meta") and asked_for(upstream_requests, "events")
    warmed = len(upstream_requests)
    assert '<h1 id="profile-name">Joe Bloggs</h1>' in header_answer(agent).content.decode()
    # Not the summary: its windows start at the minute, which may turn meanwhile.
    for url in [url for url in PANEL_URLS if "summary" not in url]:
        html = agent.get(url + "ref=userId%3Aqrc-117322", **HTMX).content.decode()
        assert "panel-error" not in html, url
    assert upstream_requests[warmed:] == []


def test_a_panel_asked_for_during_its_warm_up_shares_its_read(
    agent, upstream, upstream_requests
) -> None:
    # The upstream is slow: the timeline is asked for while the page's read of its events is
    # still under way, and shares it (the client's single flight) rather than read again.
    with override_settings(SANDBOX_FAULT_LATENCY_MS=300):
        assert agent.get("/profile", {"ref": JOE}).status_code == 200
        timeline = agent.get("/profile/timeline", {"ref": JOE}, **HTMX).content.decode()
        assert parallel.wait_idle()
    assert "panel-error" not in timeline and "Order completed" in timeline
    assert len(asked_for(upstream_requests, "events", "size=50", "from=0")) == 1
    assert len(asked_for(upstream_requests, "meta")) == 1


def test_the_header_and_the_panels_reads_start_side_by_side(agent, stub_client) -> None:
    # The panels' reads do not wait a round trip for the header's: the header's answer only
    # comes once a panel's read has been asked for.
    events_asked = threading.Event()
    met: list[bool] = []

    def meta(*args, **kwargs):
        met.append(events_asked.wait(5))
        return [joe_meta()]

    def events(*args, **kwargs):
        events_asked.set()
        return NO_EVENTS(*args, **kwargs)

    stub_client(meta=meta, events=events)
    assert agent.get("/profile", {"ref": JOE}).status_code == 200
    assert parallel.wait_idle()
    assert met and all(met)


def test_a_refresh_leaves_the_panels_to_fetch_for_themselves(agent, stub_client) -> None:
    # Its panels bypass the cache, so reads started by the page would only be a second copy.
    stub = stub_client(meta=[joe_meta()], events=NO_EVENTS)
    assert agent.get("/profile", {"ref": JOE, "fresh": "1"}).status_code == 200
    assert parallel.wait_idle()
    assert stub.calls == []


def test_someone_found_a_moment_after_nobody_was_is_found_by_a_refresh(agent, stub_client) -> None:
    stub = stub_client(NotFoundError("no such profile"))
    assert "No customer found" in header_answer(agent).content.decode()
    stub.error = None
    stub.results["meta"] = [joe_meta()]
    stub.results["events"] = NO_EVENTS
    html = agent.get("/profile/timeline", {"ref": JOE, "fresh": "1"}, **HTMX).content.decode()
    assert "No customer found" not in html and "No events recorded" in html


def test_the_panels_of_an_email_several_profiles_share_read_nothing(agent, stub_client) -> None:
    # The page sends the agent to the list of matches; its panels must not spend the shared
    # rate limit reading every profile's events meanwhile.
    two = [joe_meta(), joe_meta()]
    stub = stub_client(meta=two, events=NO_EVENTS)
    ref = "email%3Ajoe.bloggs%40example.com"
    assert "HX-Redirect" in agent.get(f"/profile/header?ref={ref}", **HTMX)
    for url in PANEL_URLS:
        html = agent.get(url + f"ref={ref}", **HTMX).content.decode()
        assert "choose one from the list" in html
    assert stub.names() == {"meta"}


def test_two_panels_and_the_header_share_one_metadata_read(
    agent, upstream, upstream_requests
) -> None:
    # The header, the traits and the metadata panel all show the customer's `meta` answer.
    header = header_answer(agent).content.decode()
    traits = agent.get("/profile/traits", {"ref": JOE}, **HTMX).content.decode()
    meta = agent.get("/profile/meta", {"ref": JOE}, **HTMX).content.decode()
    assert '<h1 id="profile-name">Joe Bloggs</h1>' in header
    assert "joe.bloggs@example.com" in traits and "staff listaug20.csv" in meta
    assert len(asked_for(upstream_requests, "meta")) == 1
    assert asked_for(upstream_requests, "traits") == []


def test_malformed_metadata_still_shows_the_header_and_the_traits(agent, stub_client) -> None:
    from profileviewer.client import ProtocolError, Traits
    from tests.viewer.test_panels import JOE_JSON

    def bad_meta(*args, **kwargs):
        raise ProtocolError("The Profiles API sent profile metadata that is not a JSON object.")

    stub_client(meta=bad_meta, traits=[Traits.from_json(JOE_JSON)])
    header = header_answer(agent)
    assert header.status_code == 200
    assert '<h1 id="profile-name">Joe Bloggs</h1>' in header.content.decode()
    traits = agent.get("/profile/traits", {"ref": JOE}, **HTMX).content.decode()
    assert "joe.bloggs@example.com" in traits and "panel-error" not in traits
    meta = agent.get("/profile/meta", {"ref": JOE}, **HTMX).content.decode()
    assert "panel-error" in meta  # only the panel that needs the metadata says so


def test_the_page_reads_the_activity_chart_in_the_agents_time_zone(
    agent, upstream, upstream_requests
) -> None:
    # The chart's days are the agent's: the page's read of its events covers them, so the
    # panel finds it ready instead of reading the 90 days again.
    agent.cookies["pv_tz"] = "Asia/Tokyo"
    assert agent.get("/profile", {"ref": JOE}).status_code == 200
    assert parallel.wait_idle()
    warmed = len(upstream_requests)
    html = agent.get("/profile/activity", {"ref": JOE}, **HTMX).content.decode()
    assert 'class="bar' in html and "panel-error" not in html
    assert upstream_requests[warmed:] == []


def test_a_cache_outage_slows_the_viewer_down_but_breaks_nothing(agent: Client, upstream) -> None:
    # Redis down: every cached answer is a miss, never a 500.
    broken = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        },
        "process": settings.CACHES["process"],  # each process's own memory: no Redis in it
    }
    with override_settings(CACHES=broken, SESSION_ENGINE="django.contrib.sessions.backends.db"):
        page = agent.get("/profile", {"ref": JOE})
        assert page.status_code == 200
        header = header_answer(agent).content.decode()
        assert '<h1 id="profile-name">Joe Bloggs</h1>' in header
        for url in PANEL_URLS:
            response = agent.get(url + "ref=userId%3Aqrc-117322", **HTMX)
            assert response.status_code == 200
            assert "panel-error" not in response.content.decode(), url
        assert parallel.wait_idle()
