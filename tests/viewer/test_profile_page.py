"""The profile page: a header with identities, and six panels that load in parallel."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from profileviewer.client import NotFoundError, ProfileRef, UnavailableError
from tests.viewer.conftest import HTMX, JOE

PANEL_URLS = [
    "/profile/summary?",
    "/profile/traits?",
    "/profile/meta?",
    "/profile/activity?",
    "/profile/viewed-not-bought?",
    "/profile/timeline?",
]


def test_the_header_shows_name_organisation_and_identities_with_copy_buttons(
    agent: Client, upstream
) -> None:
    html = agent.get("/profile", {"ref": JOE}).content.decode()
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


def test_every_panel_loads_on_its_own_url_in_parallel_with_a_skeleton(
    agent: Client, upstream
) -> None:
    html = agent.get("/profile", {"ref": JOE}).content.decode()
    triggers = re.findall(r'hx-get="(/profile/[a-z-]+\?[^"]*)" hx-trigger="load"', html)
    assert [t.split("ref=")[0] for t in triggers] == PANEL_URLS
    assert all("ref=userId%3Aqrc-117322" in t for t in triggers)
    assert html.count('class="skeleton"') == 6
    assert html.count('aria-live="polite"') >= 6


def test_refresh_reloads_every_panel_bypassing_the_cache(agent: Client, upstream) -> None:
    html = agent.get("/profile", {"ref": JOE}).content.decode()
    assert 'hx-get="/profile?ref=userId%3Aqrc-117322&amp;fresh=1"' in html
    refreshed = agent.get("/profile", {"ref": JOE, "fresh": "1"}, **HTMX).content.decode()
    assert refreshed.lstrip().startswith('<div id="profile-body"')
    assert "<html" not in refreshed
    assert refreshed.count('&amp;fresh=1" hx-trigger="load"') == 6


def test_a_fresh_refresh_really_asks_the_upstream_again(agent, stub_client) -> None:
    from tests.viewer.test_panels import joe_meta

    stub = stub_client(meta=[joe_meta()])
    agent.get("/profile", {"ref": JOE, "fresh": "1"})
    assert stub.calls[0][2] == {"fresh": True}


def test_an_email_shared_by_several_profiles_lists_them_instead(agent: Client, upstream) -> None:
    response = agent.get("/profile", {"ref": "email:sam.taylor@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/lookup?q=email%3Asam.taylor%40example.com"


def test_an_unknown_customer_is_no_customer_found(agent: Client, upstream) -> None:
    response = agent.get("/profile", {"ref": "userId:nobody-here"})
    assert response.status_code == 404
    assert "No customer found" in response.content.decode()


def test_a_malformed_ref_is_a_clear_message_not_an_error_page(agent: Client, db: None) -> None:
    for ref in ("", "nonsense", "id:123", "<script>x</script>", "userId:" + "a" * 600):
        response = agent.get("/profile", {"ref": ref})
        assert response.status_code == 400
        html = response.content.decode()
        assert "Check the search" in html
        assert "<script>x" not in html


def test_when_the_header_fails_the_panels_still_load_on_their_own(agent, stub_client) -> None:
    stub_client(UnavailableError("down", request_id="req-hdr"))
    response = agent.get("/profile", {"ref": JOE})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Customer database unavailable" in html
    assert "req-hdr" in html
    assert html.count('hx-trigger="load"') == 6


def test_a_ref_with_spaces_and_plus_signs_survives_the_round_trip(agent, stub_client) -> None:
    from tests.viewer.test_panels import joe_meta

    stub = stub_client(meta=[joe_meta()])
    agent.get("/profile?ref=userId%3Apower%20user%2B1")
    assert str(stub.calls[0][1][0]) == "userId:power user+1"


def test_not_found_after_the_header_is_no_customer_found(agent, stub_client) -> None:
    stub_client(NotFoundError("gone", request_id="r-1"))
    assert agent.get("/profile", {"ref": JOE}).status_code == 404


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


def test_the_profile_page_starts_its_panels_upstream_calls_itself(
    agent, stub_client, monkeypatch
) -> None:
    from profileviewer.viewer import services
    from tests.viewer.test_panels import joe_meta

    monkeypatch.setattr(services, "PREFETCH", True)
    stub = stub_client(meta=[joe_meta()], events=_no_events)
    response = agent.get("/profile", {"ref": JOE})
    assert response.status_code == 200
    assert _called(stub, "events", 2)  # at least the timeline's and the activity chart's
    # The header's, then the panels' (the traits and metadata panels and the summary all
    # read `meta`; a live client would answer them from one cached call).
    assert _called(stub, "meta", 2)
    assert not any(call[0] == "traits" for call in stub.calls)


def test_a_refresh_leaves_the_panels_to_fetch_for_themselves(
    agent, stub_client, monkeypatch
) -> None:
    import time

    from profileviewer.viewer import services
    from tests.viewer.test_panels import joe_meta

    monkeypatch.setattr(services, "PREFETCH", True)
    stub = stub_client(meta=[joe_meta()], events=_no_events)
    agent.get("/profile", {"ref": JOE, "fresh": "1"})
    time.sleep(0.2)
    assert [call[0] for call in stub.calls] == ["meta"]


def _no_events(ref, query, *, offset, size, fresh=False):
    from profileviewer.client import EventPage

    return EventPage((), offset, size, None)


def test_a_customer_whose_panels_were_just_drawn_is_not_warmed_again(
    agent, stub_client, monkeypatch
) -> None:
    import time

    from profileviewer.viewer import services
    from tests.viewer.test_panels import joe_meta

    stub = stub_client(meta=[joe_meta()], events=_no_events)
    agent.get("/profile/activity", {"ref": JOE}, **HTMX)
    monkeypatch.setattr(services, "PREFETCH", True)
    before = len(stub.calls)
    agent.get("/profile", {"ref": JOE})
    time.sleep(0.2)
    assert [call[0] for call in stub.calls[before:]] == ["meta"]


def test_malformed_metadata_still_shows_the_header_and_the_traits(agent, stub_client) -> None:
    from profileviewer.client import ProtocolError, Traits
    from tests.viewer.test_panels import JOE_JSON

    def bad_meta(*args, **kwargs):
        raise ProtocolError("The Profiles API sent profile metadata that is not a JSON object.")

    stub_client(meta=bad_meta, traits=[Traits.from_json(JOE_JSON)])
    page = agent.get("/profile", {"ref": JOE})
    assert page.status_code == 200
    assert '<h1 id="profile-name">Joe Bloggs</h1>' in page.content.decode()
    traits = agent.get("/profile/traits", {"ref": JOE}, **HTMX).content.decode()
    assert "joe.bloggs@example.com" in traits and "panel-error" not in traits
    meta = agent.get("/profile/meta", {"ref": JOE}, **HTMX).content.decode()
    assert "panel-error" in meta  # only the panel that needs the metadata says so


def test_a_look_up_then_its_profile_page_warm_the_panels_once(agent, stub_client, monkeypatch):
    import time

    from profileviewer.viewer import services
    from tests.viewer.test_panels import joe_meta

    def slow_events(*args, **kwargs):
        time.sleep(0.3)  # the look-up's warm-up is still under way when the page is asked for
        return _no_events(*args, **kwargs)

    jobs = []
    warm = services._warm
    monkeypatch.setattr(services, "_warm", lambda job, *a: (jobs.append(job), warm(job, *a)))
    monkeypatch.setattr(services, "PREFETCH", True)
    stub_client(meta=[joe_meta()], events=slow_events)
    assert agent.get("/lookup", {"q": "qrc-117322"}).status_code == 302
    assert agent.get("/profile", {"ref": JOE}).status_code == 200
    time.sleep(0.5)
    assert len(jobs) == 5  # one warm-up of the six panels (traits and metadata share one), not two


def test_the_warm_up_draws_the_activity_chart_in_the_agents_time_zone(agent, upstream, monkeypatch):
    import time

    from profileviewer.client import get_client
    from profileviewer.viewer import services

    monkeypatch.setattr(services, "PREFETCH", True)
    agent.cookies["pv_tz"] = "Asia/Tokyo"
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
