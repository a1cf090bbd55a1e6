"""The profile page: a header with identities, and six panels that load in parallel."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from profileviewer.client import NotFoundError, ProfileRef, UnavailableError
from tests.viewer.conftest import HTMX, JOE
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
    # Nothing about the customer is kept: the page comes back at once, its header loading
    # beside the six panels, so the browser starts on all seven a round trip sooner.
    stub = stub_client(meta=[joe_meta()])
    html = agent.get("/profile", {"ref": JOE}).content.decode()
    assert stub.calls == []
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


def test_a_known_customers_page_shows_the_header_at_once(agent: Client, upstream) -> None:
    # A look-up (or an earlier view) read the customer: their page needs no header request.
    assert agent.get("/lookup", {"q": "qrc-117322"}).status_code == 302
    html = agent.get("/profile", {"ref": JOE}).content.decode()
    assert '<h1 id="profile-name">Joe Bloggs</h1>' in html
    assert "<title>Joe Bloggs · Profile Viewer</title>" in html
    assert "/profile/header" not in html
    # Six requests, one connection each: traits need not wait their turn.
    assert 'hx-get="/profile/traits?ref=userId%3Aqrc-117322" hx-trigger="load"' in html


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
    header_answer(agent)
    html = agent.get("/profile", {"ref": JOE}).content.decode()
    assert 'hx-get="/profile?ref=userId%3Aqrc-117322&amp;fresh=1"' in html
    refreshed = agent.get("/profile", {"ref": JOE, "fresh": "1"}, **HTMX).content.decode()
    assert refreshed.lstrip().startswith('<div id="profile-body"')
    assert "<html" not in refreshed
    # The header too: a refresh does not show the kept one.
    assert refreshed.count('&amp;fresh=1" hx-trigger="load') == 7
    assert 'hx-get="/profile/header?ref=userId%3Aqrc-117322&amp;fresh=1"' in refreshed


def test_a_fresh_refresh_really_asks_the_upstream_again(agent, stub_client) -> None:
    stub = stub_client(meta=[joe_meta()])
    header_answer(agent, fresh="1")
    assert stub.calls[0][2] == {"fresh": True}


def test_an_email_shared_by_several_profiles_lists_them_instead(agent: Client, upstream) -> None:
    ref = "email:sam.taylor@example.com"
    response = header_answer(agent, ref)
    assert response["HX-Redirect"] == "/lookup?q=email%3Asam.taylor%40example.com"
    # Known from then on: the page itself sends the agent to the list.
    response = agent.get("/profile", {"ref": ref})
    assert response.status_code == 302
    assert response["Location"] == "/lookup?q=email%3Asam.taylor%40example.com"


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


def test_the_panels_of_someone_who_is_not_a_customer_ask_the_upstream_once(
    agent, stub_client
) -> None:
    # A helpdesk requester is often not a customer: the header and six panels of their page
    # cost one `meta` read between them, not the panels' own calls too.
    stub = stub_client(NotFoundError("no such profile", request_id="r-404"))
    header_answer(agent)
    for url in PANEL_URLS:
        html = agent.get(url + "ref=userId%3Aqrc-117322", **HTMX).content.decode()
        assert "panel-error" in html and "No customer found" in html
    assert [call[0] for call in stub.calls] == ["meta"]


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

    stub_client(meta=meta_down, events=_no_events)
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
    stub = stub_client(meta=[joe_meta()])
    html = agent.get("/profile?ref=userId%3Apower%20user%2B1").content.decode()
    header_url = re.search(r'hx-get="(/profile/header\?[^"]*)"', html).group(1)
    agent.get(header_url.replace("&amp;", "&"), **HTMX)
    assert str(stub.calls[0][1][0]) == "userId:power user+1"


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


def _called(stub, name: str, count: int) -> bool:
    """Waits (briefly) for the background prefetch to have made `count` calls of `name`."""
    import time

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if sum(1 for call in list(stub.calls) if call[0] == name) >= count:
            return True
        time.sleep(0.01)
    return False


def test_a_known_customers_page_starts_its_panels_upstream_calls_itself(
    agent, stub_client, prefetch
) -> None:
    stub = stub_client(meta=[joe_meta()], events=_no_events)
    header_answer(agent)  # the customer is known
    response = agent.get("/profile", {"ref": JOE})
    assert response.status_code == 200
    assert _called(stub, "events", 2)  # at least the timeline's and the activity chart's
    assert not any(call[0] == "traits" for call in stub.calls)


def _forget_header(ref: str = JOE) -> None:
    """The header's answer expired; that the reference is one customer is still known."""
    from profileviewer.viewer import services

    cache.delete(services._result_key("header", ProfileRef.parse(ref)))


def _recording(order: list[str], name: str, answer, *, delay: float = 0.0):
    """A stub answer that notes in ``order`` when it was asked and when it answered."""
    import time

    def call(*args, **kwargs):
        order.append(f"{name} asked")
        time.sleep(delay)
        order.append(f"{name} answered")
        return answer(*args, **kwargs) if callable(answer) else answer

    return call


def test_a_busy_accounts_page_for_someone_new_warms_the_panels_once_the_header_finds_them(
    agent, stub_client, prefetch
) -> None:
    # Nobody knows yet whether this is a customer (a helpdesk requester often is not) and the
    # rate limit is mostly spent: the header's `meta` read goes first, and the panels' calls
    # follow once it finds one.
    order: list[str] = []
    stub = stub_client(
        meta=_recording(order, "meta", [joe_meta()], delay=0.1),
        events=_recording(order, "events", _no_events),
    )
    stub.headroom = 0.3
    agent.get("/profile", {"ref": JOE})
    prefetch.drain()
    assert order.index("meta answered") < order.index("events asked")
    # The summary's four windows, the chart, viewed-not-bought and the timeline.
    assert order.count("events asked") >= 4


def test_a_quiet_accounts_page_for_someone_new_warms_everything_at_once(
    agent, stub_client, prefetch
) -> None:
    # Most of the burst unused: a guess that proves wrong costs nothing anyone needs, and a
    # right one saves the panels a round trip.
    order: list[str] = []
    stub_client(
        meta=_recording(order, "meta", [joe_meta()], delay=0.2),
        events=_recording(order, "events", _no_events),
    )
    agent.get("/profile", {"ref": JOE})
    prefetch.drain()
    assert "meta answered" in order and "events asked" in order
    assert order.index("events asked") < order.index("meta answered")


def test_a_wrong_guess_still_shows_no_customer_found_everywhere(agent, stub_client, prefetch):
    import time

    stub = stub_client(NotFoundError("no such profile"))
    agent.get("/profile", {"ref": JOE})
    prefetch.drain()
    # A panel that failed on its first read leaves its side-by-side reads to finish.
    asked = -1
    while asked != len(stub.calls):
        asked = len(stub.calls)
        time.sleep(0.2)
    # The header's read and the panels' first calls (the summary's five reads, the chart's
    # three pages, viewed-not-bought's two, the timeline's one), each answered "not found".
    assert stub.called("events") >= 4 and asked <= 12
    assert "No customer found" in header_answer(agent).content.decode()
    for url in PANEL_URLS:
        html = agent.get(url + "ref=userId%3Aqrc-117322", **HTMX).content.decode()
        assert "No customer found" in html
    # What the warm-up found is kept for all of them.
    assert [call[0] for call in stub.calls[asked:]] == []


def test_a_known_customers_page_warms_the_header_and_the_panels_at_once(
    agent, stub_client, prefetch
) -> None:
    # Found earlier, their answers since expired: the panels' calls start beside the header's
    # read rather than one round trip after it.
    order: list[str] = []
    stub_client(meta=[joe_meta()], events=_no_events)
    header_answer(agent)
    _forget_header()
    stub = stub_client(
        meta=_recording(order, "meta", [joe_meta()], delay=0.2),
        events=_recording(order, "events", _no_events),
    )
    stub.headroom = 0.0  # however busy the account
    page = agent.get("/profile", {"ref": JOE}).content.decode()
    assert 'id="profile-header"' in page  # the header is loading, not kept
    prefetch.drain()
    assert "meta answered" in order and "events asked" in order
    assert order.index("events asked") < order.index("meta answered")


def test_pages_for_nobody_or_for_an_email_several_share_start_nothing(
    agent, stub_client, prefetch
) -> None:
    # Known a moment ago to match nobody, or an hour ago to match several (the page lists
    # them): however quiet the account, no panel is worth a guess.
    stub = stub_client(NotFoundError("no such profile"))
    assert "No customer found" in header_answer(agent).content.decode()
    before = len(stub.calls)
    agent.get("/profile", {"ref": JOE})
    prefetch.drain()
    assert stub.calls[before:] == []
    two = "email:sam.taylor@example.com"
    stub = stub_client(meta=[joe_meta(), joe_meta()], events=_no_events)
    header_answer(agent, two)
    _forget_header(two)
    before = len(stub.calls)
    agent.get("/profile", {"ref": two})
    prefetch.drain()
    assert stub.calls[before:] == []


def test_a_refresh_leaves_the_panels_to_fetch_for_themselves(agent, stub_client, prefetch) -> None:
    # Its panels bypass the cache, so a warm-up would only be a second copy of their work.
    stub = stub_client(meta=[joe_meta()], events=_no_events)
    header_answer(agent)
    before = len(stub.calls)
    agent.get("/profile", {"ref": JOE, "fresh": "1"})
    prefetch.drain()
    assert stub.calls[before:] == []  # the customer is known: not even the check


def test_a_panel_asked_for_during_its_warm_up_waits_for_it_instead_of_doing_it_again(
    agent, stub_client, prefetch, monkeypatch
) -> None:
    import time

    from profileviewer.viewer import chart
    from profileviewer.viewer.filters import PAGE_SIZE

    drawn = []
    draw = chart.activity_chart
    monkeypatch.setattr(chart, "activity_chart", lambda *a, **k: drawn.append(1) or draw(*a, **k))

    def slow_events(*args, **kwargs):
        # The panels are asked for while the warm-up waits for its answers: the timeline's
        # first, then the chart's, which come later.
        time.sleep(0.4 if kwargs["size"] == PAGE_SIZE else 0.9)
        return _no_events(*args, **kwargs)

    stub = stub_client(meta=[joe_meta()], events=_no_events)
    header_answer(agent)
    _forget_header()
    stub.results["events"] = slow_events
    agent.get("/profile", {"ref": JOE})
    timeline = agent.get("/profile/timeline", {"ref": JOE}, **HTMX).content.decode()
    activity = agent.get("/profile/activity", {"ref": JOE}, **HTMX).content.decode()
    assert "panel-error" not in activity + timeline
    assert "No events recorded" in timeline
    prefetch.drain()
    assert drawn == [1]  # the chart was drawn once, by the warm-up
    timeline_calls = [call for call in stub.calls if call[2].get("size") == PAGE_SIZE]
    assert len(timeline_calls) == 1


def test_a_first_view_starts_the_customer_check_before_the_browser_asks(
    agent, stub_client, prefetch
) -> None:
    # The header and the panels wait for one `meta` read: it starts once the page is sent,
    # not ~50 ms later when the browser has loaded the page and asks for them. With the rate
    # limit mostly spent, nothing else starts before it answers.
    stub = stub_client(NotFoundError("no such profile"))
    stub.headroom = 0.3
    agent.get("/profile", {"ref": JOE})
    prefetch.drain()
    assert [call[0] for call in stub.calls] == ["meta"]
    # What it found is kept for the page's panels: none asks again.
    for url in PANEL_URLS:
        html = agent.get(url + "ref=userId%3Aqrc-117322", **HTMX).content.decode()
        assert "No customer found" in html
    assert [call[0] for call in stub.calls] == ["meta"]


def test_someone_found_a_moment_after_nobody_was_is_found_by_a_refresh(agent, stub_client) -> None:
    stub = stub_client(NotFoundError("no such profile"))
    assert "No customer found" in header_answer(agent).content.decode()
    stub.error = None
    stub.results["meta"] = [joe_meta()]
    stub.results["events"] = _no_events
    html = agent.get("/profile/timeline", {"ref": JOE, "fresh": "1"}, **HTMX).content.decode()
    assert "No customer found" not in html and "No events recorded" in html


def test_the_panels_of_an_email_several_profiles_share_read_nothing(agent, stub_client) -> None:
    # The page sends the agent to the list of matches; its panels must not spend the shared
    # rate limit reading every profile's events meanwhile.
    two = [joe_meta(), joe_meta()]
    stub = stub_client(meta=two, events=_no_events)
    ref = "email%3Ajoe.bloggs%40example.com"
    assert "HX-Redirect" in agent.get(f"/profile/header?ref={ref}", **HTMX)
    for url in PANEL_URLS:
        html = agent.get(url + f"ref={ref}", **HTMX).content.decode()
        assert "choose one from the list" in html
    assert [call[0] for call in stub.calls] == ["meta"]


def _no_events(ref, query, *, offset, size, fresh=False):
    from profileviewer.client import EventPage

    return EventPage((), offset, size, None)


def test_a_customer_whose_panels_were_just_drawn_is_not_warmed_again(
    agent, stub_client, prefetch
) -> None:
    stub = stub_client(meta=[joe_meta()], events=_no_events)
    agent.get("/profile/activity", {"ref": JOE}, **HTMX)
    before = len(stub.calls)
    html = agent.get("/profile", {"ref": JOE}).content.decode()
    assert '<h1 id="profile-name">Joe Bloggs</h1>' in html  # known from the panel's check
    prefetch.drain()
    assert stub.calls[before:] == []


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


def test_a_look_up_then_its_profile_page_warm_the_panels_once(
    agent, stub_client, monkeypatch, prefetch
):
    import time

    from profileviewer.viewer import services
    from tests.viewer.test_panels import joe_meta

    def slow_events(*args, **kwargs):
        time.sleep(0.3)  # the look-up's warm-up is still under way when the page is asked for
        return _no_events(*args, **kwargs)

    jobs = []
    warm = services._warm
    monkeypatch.setattr(services, "_warm", lambda job, *a: (jobs.append(job), warm(job, *a)))
    stub_client(meta=[joe_meta()], events=slow_events)
    assert agent.get("/lookup", {"q": "qrc-117322"}).status_code == 302
    assert agent.get("/profile", {"ref": JOE}).status_code == 200
    prefetch.drain()
    # One warm-up of the panels, not two; traits and metadata read the look-up's `meta` answer.
    assert len(jobs) == 4


def test_the_warm_up_draws_the_activity_chart_in_the_agents_time_zone(agent, upstream, prefetch):
    import time

    from profileviewer.client import get_client
    from profileviewer.viewer import services

    agent.cookies["pv_tz"] = "Asia/Tokyo"
    header_answer(agent)  # the customer is known: their page is warmed
    assert agent.get("/profile", {"ref": JOE}).status_code == 200
    deadline = time.monotonic() + 5
    with timezone.override(ZoneInfo("Asia/Tokyo")):
        while cache.get(services._activity_key(ProfileRef.parse(JOE))) is None:
            assert time.monotonic() < deadline, "the warm-up drew no chart in the agent's zone"
            time.sleep(0.02)
    calls = get_client().stats()["calls"]
    html = agent.get("/profile/activity", {"ref": JOE}, **HTMX).content.decode()
    assert 'class="bar' in html
    assert get_client().stats()["calls"] == calls  # the panel found the warmed chart


def test_a_cache_outage_slows_the_viewer_down_but_breaks_nothing(agent: Client, upstream) -> None:
    # Redis down: every kept answer, header and customer check is a miss, never a 500.
    from django.test import override_settings

    broken = {
        "default": {
            "BACKEND": "profileviewer.rediscache.ReusingRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
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


def test_a_customer_found_here_is_not_checked_again_even_in_the_shared_cache(
    agent, stub_client
) -> None:
    # In the scale-out set-up the shared cache is Redis: a round trip per panel request.
    stub = stub_client(meta=[joe_meta()], events=_no_events)
    header_answer(agent)
    cache.clear()  # as if the shared entry had gone
    for url in PANEL_URLS[3:]:
        agent.get(url + "ref=userId%3Aqrc-117322", **HTMX)
    assert stub.called("meta") == 1
