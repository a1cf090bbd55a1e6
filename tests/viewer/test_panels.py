"""Each panel: happy path, empty state, every error kind, htmx partial vs full page."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from django.test import override_settings

from profileviewer.client import (
    AuthenticationError,
    IntileryError,
    Meta,
    NotFoundError,
    ProfileRef,
    ProfilesClient,
    ProtocolError,
    RateLimitError,
    UnavailableError,
)
from profileviewer.sandbox.store import NewEvent, add_events
from tests.viewer.conftest import HTMX, JOE, answering_events, event_json

PANELS = ["traits", "meta", "timeline", "activity", "viewed-not-bought", "summary"]


JOE_JSON = {
    "id": "4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe",
    "externalId": "qrc-117322",
    "email": "joe.bloggs@example.com",
    "firstName": "Joe",
    "lastName": "Bloggs",
    "marketingPreferences": {"channels": []},
}


def joe_meta() -> Meta:
    """Joe's metadata: his traits plus the meta fields (PAPI-18), what the header reads."""
    return Meta.from_json({**JOE_JSON, "_subscriptionId": "sub-1", "audiencesStatic": []})


# --- Happy paths, against the sandbox over HTTP -------------------------------------------


def test_traits_lists_known_traits_first_then_custom_ones_and_channel_badges(agent, upstream):
    html = agent.get("/profile/traits", {"ref": JOE}, **HTMX).content.decode()
    assert html.index("Organisation") < html.index("<code>plan</code>")
    assert 'href="tel:+447700900123"' in html
    assert 'href="https://www.intilery.com"' in html
    assert "badge-yes" in html and 'email<span class="visually-hidden">: subscribed' in html
    assert 'whatsapp<span class="visually-hidden">: unsubscribed' in html
    assert '<pre class="json">{\n  &quot;sizes&quot;: [\n    &quot;L&quot;\n  ]\n}</pre>' in html
    assert (
        "data-filter-input" in html
        and '<label class="visually-hidden" for="trait-filter-1">' in html
    )


def test_meta_shows_creation_last_activity_audiences_and_action_spans(agent, upstream):
    html = agent.get("/profile/meta", {"ref": JOE}, **HTMX).content.decode()
    assert "by a CSV import" in html and "staff listaug20.csv" in html
    assert "vip_customers" in html and "newsletter" in html
    assert "Order completed" in html and "Email opened" in html
    assert 'title="' in html and "<time datetime=" in html
    assert "1 minute ago" in html  # last activity: the email opened


def test_summary_shows_churn_risk_with_its_reasons(agent, upstream):
    html = agent.get("/profile/summary", {"ref": JOE}, **HTMX).content.decode()
    assert "Churn risk" in html and "risk-low" in html
    assert "email, sms" in html
    assert "£19.00" in html


def test_viewed_not_bought_lists_products_viewed_and_not_purchased(agent, upstream):
    html = agent.get("/profile/viewed-not-bought", {"ref": JOE}, **HTMX).content.decode()
    assert "Rain Jacket" in html and "£89.50" in html
    assert "Hat" not in html  # bought afterwards
    assert '<img src="/sandbox/products/SKU-1.svg"' in html
    assert "viewed <time" in html


def test_activity_chart_is_inline_svg_with_accessible_text(agent, upstream):
    html = agent.get("/profile/activity", {"ref": JOE}, **HTMX).content.decode()
    assert '<svg viewBox="0 0 449 94" role="img"' in html
    assert '<desc id="chart-desc">10 events in the last 90 days' in html
    assert 'class="bar fam-buying"' in html
    assert " style=" not in html


# --- Empty states -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("panel", "message"),
    [
        ("timeline", "No events recorded for this customer yet."),
        ("activity", "No activity in the last 90 days."),
        ("viewed-not-bought", "Nothing viewed and left unbought."),
        ("meta", "No events recorded yet."),
    ],
)
def test_a_customer_without_events_gets_an_empty_state(agent, upstream, panel, message):
    response = agent.get(f"/profile/{panel}", {"ref": "userId:new-signup-1"}, **HTMX)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_the_summary_of_a_customer_without_activity_says_never(agent, upstream):
    html = agent.get("/profile/summary", {"ref": "userId:new-signup-1"}, **HTMX).content.decode()
    assert "never" in html and "risk-high" in html


# --- htmx partial vs full page ------------------------------------------------------------


@pytest.mark.parametrize("panel", PANELS)
def test_an_htmx_request_gets_only_the_panel(agent, upstream, panel):
    response = agent.get(f"/profile/{panel}", {"ref": JOE}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div class="panel-body')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("panel", PANELS)
def test_a_shared_panel_link_opens_inside_the_layout(agent, upstream, panel):
    response = agent.get(f"/profile/{panel}", {"ref": JOE})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and 'class="topbar"' in html
    assert "Whole profile" in html


# --- Errors, one kind at a time -----------------------------------------------------------

ERRORS = [
    (NotFoundError("nope", request_id="req-404"), "No customer found", 404),
    (UnavailableError("down", request_id="req-503"), "Customer database unavailable", 503),
    (AuthenticationError("bad key", request_id="req-401"), "Viewer misconfigured", 502),
    (ProtocolError("garbage", request_id="req-502"), "Unreadable answer", 502),
    (IntileryError("odd", request_id="req-500"), "Could not load", 502),
]


@pytest.mark.parametrize("panel", PANELS)
@pytest.mark.parametrize(("error", "title", "status"), ERRORS)
def test_a_failing_panel_shows_the_error_with_the_request_id(
    agent, stub_client, panel, error, title, status
):
    stub_client(error)
    htmx = agent.get(f"/profile/{panel}", {"ref": JOE}, **HTMX)
    assert htmx.status_code == 200  # htmx swaps only 2xx
    html = htmx.content.decode()
    assert title in html and error.request_id in html
    assert 'role="alert"' in html
    full = agent.get(f"/profile/{panel}", {"ref": JOE})
    assert full.status_code == status


@pytest.mark.parametrize("panel", PANELS)
def test_a_rate_limited_panel_says_busy_and_retries_itself(agent, stub_client, panel):
    stub_client(RateLimitError("slow", request_id="req-429", retry_after=4))
    html = agent.get(f"/profile/{panel}", {"ref": JOE}, **HTMX).content.decode()
    assert "busy, retrying in 4 s" in html
    assert 'hx-trigger="load delay:4s"' in html
    assert f'hx-get="/profile/{panel}?ref=userId%3Aqrc-117322"' in html


@pytest.mark.parametrize("panel", PANELS)
def test_a_bad_ref_in_a_panel_url_is_a_message(agent, db, panel):
    response = agent.get(f"/profile/{panel}", {"ref": "<b>bold</b>"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Check the search" in html and "<b>bold" not in html


def test_a_misconfigured_key_is_logged_loudly_without_the_token(agent, stub_client, caplog):
    stub_client(AuthenticationError("rejected", request_id="req-401"))
    with caplog.at_level(logging.ERROR, logger="profileviewer.viewer"):
        agent.get("/profile/traits", {"ref": JOE}, **HTMX)
    record = caplog.records[-1]
    assert record.levelno == logging.ERROR
    assert "INTILERY_API_TOKEN" in record.getMessage() and "req-401" in record.getMessage()


def test_a_wrong_api_key_reaches_the_agent_as_misconfigured_and_never_leaks(
    agent, upstream, caplog
):
    secret = "wrong-token-that-must-never-show-123456"
    with override_settings(INTILERY_API_TOKEN=secret), caplog.at_level(logging.INFO):
        response = agent.get("/profile/traits", {"ref": JOE}, **HTMX)
    html = response.content.decode()
    assert "Viewer misconfigured" in html
    assert secret not in html
    assert all(secret not in r.getMessage() for r in caplog.records)


def test_an_upstream_failing_every_call_is_shown_as_unavailable(agent, upstream):
    with override_settings(SANDBOX_FAULT_ERROR_RATE=1, INTILERY_CALL_BUDGET=0.3):
        html = agent.get("/profile/meta", {"ref": JOE}, **HTMX).content.decode()
    assert "Customer database unavailable" in html


def test_one_failing_panel_leaves_the_others_working(agent, upstream, monkeypatch):
    from profileviewer.viewer import services

    def broken(*args, **kwargs):
        raise UnavailableError("down", request_id="req-x")

    monkeypatch.setattr(services, "activity_panel", broken)
    assert (
        "Customer database unavailable"
        in agent.get("/profile/activity", {"ref": JOE}, **HTMX).content.decode()
    )
    assert "Joe Bloggs" in agent.get("/profile/traits", {"ref": JOE}, **HTMX).content.decode()


def test_the_activity_chart_stops_reading_after_its_event_cap(agent, stub_client, monkeypatch):
    from profileviewer.viewer import services

    monkeypatch.setattr(services, "CHART_MAX_EVENTS", 200)
    busy = [event_json("page_viewed", datetime.now(UTC), event_id=f"e{i}") for i in range(300)]
    stub = stub_client(events=answering_events(*busy))
    html = agent.get("/profile/activity", {"ref": JOE}, **HTMX).content.decode()
    assert stub.called("events") == 2
    assert "Counted from the most recent events only." in html


# --- Cached answers and the refresh button ----------------------------------------------------

CACHED_PANELS = ["traits", "meta", "timeline", "activity", "viewed-not-bought"]


@pytest.mark.parametrize("panel", CACHED_PANELS)
def test_a_repeated_panel_request_reads_the_upstream_again_only_when_refreshed(
    agent, upstream, upstream_requests, panel
):
    # The answers a panel is drawn from are cached: asked again, it costs the upstream
    # nothing; the refresh button (fresh=1) reads them again and shows what is new. (Not the
    # summary: its windows start at the minute, which may turn between two requests.)
    first = agent.get(f"/profile/{panel}", {"ref": JOE}, **HTMX).content.decode()
    assert "panel-error" not in first
    read = len(upstream_requests)
    assert read
    agent.get(f"/profile/{panel}", {"ref": JOE}, **HTMX)
    assert len(upstream_requests) == read
    agent.get(f"/profile/{panel}", {"ref": JOE, "fresh": "1"}, **HTMX)
    assert len(upstream_requests) > read
    # Someone else's panel is read for them, not taken from Joe's answers.
    other = agent.get(f"/profile/{panel}", {"ref": "userId:sam-taylor-uk"}, **HTMX)
    assert "Joe" not in other.content.decode() and "Rain Jacket" not in other.content.decode()


def test_the_refresh_button_shows_an_event_the_cached_timeline_does_not_yet(agent, upstream):
    assert "Wellies" not in agent.get("/profile/timeline", {"ref": JOE}, **HTMX).content.decode()
    add_events(
        upstream["joe"],
        [NewEvent("product_viewed", datetime.now(UTC), {"name": "Wellies", "price": 45})],
    )
    cached = agent.get("/profile/timeline", {"ref": JOE}, **HTMX).content.decode()
    assert "Wellies" not in cached
    fresh = agent.get("/profile/timeline", {"ref": JOE, "fresh": "1"}, **HTMX).content.decode()
    assert "Wellies" in fresh


@override_settings(INTILERY_CACHE_TTL=0)
@pytest.mark.parametrize("panel", [*CACHED_PANELS, "summary"])
def test_with_caching_off_a_panel_reads_the_upstream_each_time(
    agent, upstream, upstream_requests, panel
):
    agent.get(f"/profile/{panel}", {"ref": JOE}, **HTMX)
    read = len(upstream_requests)
    assert read
    agent.get(f"/profile/{panel}", {"ref": JOE}, **HTMX)
    assert len(upstream_requests) == 2 * read


# --- What a panel reads ------------------------------------------------------------------


@pytest.fixture
def meta_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The refs of every `meta` read the client is asked for, from its cache or upstream."""
    reads: list[str] = []
    meta = ProfilesClient.meta

    def counted(self: ProfilesClient, ref: ProfileRef, **kwargs: bool) -> list[Meta]:
        reads.append(str(ref))
        return meta(self, ref, **kwargs)

    monkeypatch.setattr(ProfilesClient, "meta", counted)
    return reads


@pytest.mark.parametrize("panel", ["traits", "meta", "summary"])
def test_a_panel_reads_its_customers_metadata_once_per_request(agent, upstream, meta_reads, panel):
    assert agent.get(f"/profile/{panel}", {"ref": JOE}, **HTMX).status_code == 200
    assert meta_reads == [JOE]
    # Asked again, it is served as rendered: no read at all.
    assert agent.get(f"/profile/{panel}", {"ref": JOE}, **HTMX).status_code == 200
    assert meta_reads == [JOE]
    # Drawn again for another time zone, from the answer now cached: still one read.
    tokyo = {"HTTP_X_TIME_ZONE": "Asia/Tokyo"}
    assert agent.get(f"/profile/{panel}", {"ref": JOE}, **HTMX, **tokyo).status_code == 200
    assert meta_reads == [JOE, JOE]
