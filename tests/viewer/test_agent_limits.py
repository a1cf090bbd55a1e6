"""Per-agent limits (agents/limits.py): how fast one agent may ask, and how often they may
skip the cache, so no one agent spends the upstream budget every agent shares (issue 21).

Personas: alice (the `agent` fixture) and carol, two signed-in agents; Zendesk users 1001 and
1002, embedded with our bearer token.
"""

from __future__ import annotations

import math
import re
import time
import uuid
from collections.abc import Iterator
from html import unescape

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client, override_settings

from profileviewer.agents import limits
from profileviewer.embed import tokens
from profileviewer.embed.hosts import HostUser
from tests.test_settings import run_django
from tests.viewer.conftest import HTMX, JOE, asked_for

SLOW_DOWN = "<strong>Slow down.</strong>"
NOT_REFRESHED = "Not refreshed: you refreshed too often just now"
# A low rate, so no token comes back while a test runs.
TIGHT = {"AGENT_RATE": 0.01, "AGENT_BURST": 3}
TIGHT_FRESH = {"AGENT_FRESH_RATE": 0.001}


@pytest.fixture(autouse=True)
def _full_buckets() -> Iterator[None]:
    limits.reset()
    yield
    limits.reset()


@pytest.fixture
def carol(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_user("carol", password="carol-password-1"))
    return client


def embedded(user: str, account: str = "sandbox-demo/1") -> dict[str, str]:
    token = tokens.issue(HostUser("zendesk", account, user))
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def meta_panel(client: Client, **headers: str):
    return client.get("/profile/meta", {"ref": JOE}, **HTMX, **headers)


def poll_url(html: str) -> str:
    return unescape(re.search(r'class="live-poller"[^>]* hx-get="([^"]+)"', html).group(1))


# --- The request rate -------------------------------------------------------------------------


@override_settings(**TIGHT)
def test_a_panel_over_the_agent_rate_shows_slow_down_in_its_own_box(agent, stub_client):
    stub_client()
    assert all(SLOW_DOWN not in meta_panel(agent).content.decode() for _ in range(3))
    refused = meta_panel(agent)
    html = refused.content.decode()
    # 200, so htmx swaps it; the box retries itself once a request is let through again.
    assert refused.status_code == 200
    assert html.lstrip().startswith('<div class="panel-body panel-error"')
    assert SLOW_DOWN in html and "alert-slow_down" in html
    assert 'hx-trigger="load delay:60s"' in html  # 100 s to the next token, capped
    assert 'hx-get="/profile/meta?ref=userId%3Aqrc-117322"' in html
    assert 99 <= int(refused["Retry-After"]) <= 100
    assert "no-store" in refused["Cache-Control"]


@override_settings(**TIGHT)
def test_a_page_over_the_agent_rate_is_a_429_with_retry_after(agent):
    for _ in range(3):
        assert agent.get("/").status_code == 200
    refused = agent.get("/", {"q": "x"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    html = refused.content.decode()
    assert "<title>Slow down · Profile Viewer</title>" in html
    assert "too many requests from you just now" in html
    assert 'href="/?q=x">Try again</a>' in html


@override_settings(**TIGHT)
def test_the_rate_is_each_agents_own(agent, carol, stub_client):
    stub_client()
    for _ in range(4):
        meta_panel(agent)
    assert SLOW_DOWN in meta_panel(agent).content.decode()
    assert all(SLOW_DOWN not in meta_panel(carol).content.decode() for _ in range(3))


@override_settings(**TIGHT)
def test_an_embedded_agent_is_limited_per_host_user(db, stub_client):
    stub_client()
    browser = Client()
    # Every token of one host user draws from one bucket: a renewed token does not start over.
    first, renewed = embedded("1001"), embedded("1001")
    for headers in (first, renewed, first):
        assert SLOW_DOWN not in meta_panel(browser, **headers).content.decode()
    refused = meta_panel(browser, **renewed)
    assert SLOW_DOWN in refused.content.decode()
    assert refused["Retry-After"] and "no-store" in refused["Cache-Control"]
    # Another user of the same host, and the same user id on another account, are not.
    assert SLOW_DOWN not in meta_panel(browser, **embedded("1002")).content.decode()
    other_account = embedded("1001", account="sandbox-demo/2")
    assert SLOW_DOWN not in meta_panel(browser, **other_account).content.decode()


def test_a_signed_out_request_takes_nothing_from_anyone(agent, stub_client):
    stub_client()
    with override_settings(AGENT_RATE=0.01, AGENT_BURST=1):
        for _ in range(5):
            assert Client().get("/profile/meta", {"ref": JOE}).status_code == 302
        assert SLOW_DOWN not in meta_panel(agent).content.decode()


# --- Skipping the cache ------------------------------------------------------------------------


def test_forty_fresh_summaries_cost_at_most_a_burst_of_fresh_reads(
    agent, upstream, upstream_requests
):
    first = agent.get("/profile/summary", {"ref": JOE}, **HTMX).content.decode()
    assert "Churn risk" in first and NOT_REFRESHED not in first
    metas, reads = len(asked_for(upstream_requests, "meta")), len(upstream_requests)
    started = time.monotonic()
    answers = [
        agent.get("/profile/summary", {"ref": JOE, "fresh": "1"}, **HTMX).content.decode()
        for _ in range(40)
    ]
    # A fresh summary reads `meta` and four event windows again; a refused one reads nothing
    # (served from the cache). Tokens come back at AGENT_FRESH_RATE while the test runs.
    allowed = settings.AGENT_FRESH_BURST + math.ceil(
        (time.monotonic() - started) * settings.AGENT_FRESH_RATE
    )
    fresh_reads = len(asked_for(upstream_requests, "meta")) - metas
    assert settings.AGENT_FRESH_BURST <= fresh_reads <= allowed
    # Not 200: at most five reads per honoured summary, and four if the minute turns.
    assert len(upstream_requests) - reads <= 5 * fresh_reads + 4
    assert all("Churn risk" in html for html in answers)
    assert sum(NOT_REFRESHED in html for html in answers) == 40 - fresh_reads
    assert all(SLOW_DOWN not in html for html in answers)


@override_settings(AGENT_FRESH_BURST=2, **TIGHT_FRESH)
def test_a_refresh_past_the_allowance_is_answered_from_the_cache_with_a_notice(agent, upstream):
    agent.get("/profile/traits", {"ref": JOE}, **HTMX)
    for _ in range(2):
        html = agent.get("/profile/traits", {"ref": JOE, "fresh": "1"}, **HTMX).content.decode()
        assert NOT_REFRESHED not in html
    limited = agent.get("/profile/traits", {"ref": JOE, "fresh": "1"}, **HTMX)
    html = limited.content.decode()
    assert limited.status_code == 200
    assert html.lstrip().startswith('<div class="panel-body">')
    assert NOT_REFRESHED in html and "Joe" in html
    # A request that does not ask to skip the cache takes nothing from that allowance.
    assert NOT_REFRESHED not in agent.get("/profile/traits", {"ref": JOE}, **HTMX).content.decode()
    # Opened as a page, the notice is there too.
    page = agent.get("/profile/traits", {"ref": JOE, "fresh": "1"}).content.decode()
    assert NOT_REFRESHED in page and "<html" in page


@override_settings(AGENT_FRESH_BURST=1, **TIGHT_FRESH)
def test_the_refresh_button_past_the_allowance_still_asks_each_panel_to_say_so(agent, upstream):
    agent.get("/profile/summary", {"ref": JOE, "fresh": "1"}, **HTMX)  # the allowance spent
    page = agent.get("/profile", {"ref": JOE, "fresh": "1"}, **HTMX).content.decode()
    assert page.count('&amp;fresh=1" hx-trigger="load') == 7
    html = agent.get("/profile/meta", {"ref": JOE, "fresh": "1"}, **HTMX).content.decode()
    assert NOT_REFRESHED in html


@override_settings(AGENT_FRESH_BURST=1, **TIGHT_FRESH)
def test_the_live_poll_past_the_allowance_pauses_and_says_slow_down(agent, upstream):
    poll = poll_url(agent.get("/profile/timeline", {"ref": JOE}, **HTMX).content.decode())
    assert "live-poller" in agent.get(poll, **HTMX).content.decode()
    paused = agent.get(poll, **HTMX)
    html = paused.content.decode()
    assert paused.status_code == 286  # htmx's "stop polling"
    assert 'class="live-paused' in html
    assert "Slow down: live updates paused." in html
    assert "You asked for fresh data too often; reload the page" in html


@override_settings(AGENT_FRESH_BURST=1, **TIGHT_FRESH)
def test_a_refresh_past_the_allowance_does_not_spend_anothers(agent, carol, stub_client):
    stub_client()
    refresh = {"ref": JOE, "fresh": "1"}
    agent.get("/profile/meta", refresh, **HTMX)
    assert NOT_REFRESHED in agent.get("/profile/meta", refresh, **HTMX).content.decode()
    assert NOT_REFRESHED not in carol.get("/profile/meta", refresh, **HTMX).content.decode()


# --- What an agent does normally ---------------------------------------------------------------


def test_a_profile_page_a_refresh_and_the_live_poll_stay_within_the_defaults(
    agent, upstream, upstream_requests
):
    def load_page(ref: str, **params: str) -> list[str]:
        """The page and what it loads: the header and six panels."""
        page = agent.get("/profile", {"ref": ref, **params}, **(HTMX if params else {}))
        assert page.status_code == 200
        loads = re.findall(r'hx-get="([^"]+)" hx-trigger="load', page.content.decode())
        assert len(loads) == 7
        return [agent.get(unescape(url), **HTMX).content.decode() for url in loads]

    answers = []
    for ref in (JOE, "userId:sam-taylor-uk", "userId:acct/00042", JOE):  # quick navigation
        answers += load_page(ref)
    metas = len(asked_for(upstream_requests, "meta"))
    answers += load_page(JOE, fresh="1")  # the refresh button
    assert len(asked_for(upstream_requests, "meta")) > metas  # really read again
    timeline = next(html for html in answers[-7:] if "live-poller" in html)
    answers.append(agent.get(poll_url(timeline), **HTMX).content.decode())
    for html in answers:
        assert SLOW_DOWN not in html and NOT_REFRESHED not in html
        assert "live updates paused" not in html


# --- Shared by every process through Redis ----------------------------------------------------


@pytest.mark.redis
def test_with_redis_every_process_draws_from_the_agents_one_bucket(db, stub_client):
    stub_client()
    browser = Client()
    headers = embedded(f"redis-{uuid.uuid4()}")  # a bucket of this test's own
    with override_settings(REDIS_URL=settings.TEST_REDIS_URL, **TIGHT, **TIGHT_FRESH):
        for _ in range(2):
            assert SLOW_DOWN not in meta_panel(browser, **headers).content.decode()
        limits.reset()  # no local bucket and a new connection, as another worker process has
        fresh = browser.get("/profile/meta", {"ref": JOE, "fresh": "1"}, **HTMX, **headers)
        assert NOT_REFRESHED not in fresh.content.decode()
        limits.reset()
        refused = meta_panel(browser, **headers)
        assert SLOW_DOWN in refused.content.decode()
        assert 1 <= int(refused["Retry-After"]) <= 100


@pytest.mark.redis
def test_with_redis_the_fresh_allowance_is_shared_too(db, stub_client):
    stub_client()
    browser = Client()
    headers = embedded(f"redis-{uuid.uuid4()}")
    with override_settings(REDIS_URL=settings.TEST_REDIS_URL, AGENT_FRESH_BURST=1, **TIGHT_FRESH):
        first = browser.get("/profile/meta", {"ref": JOE, "fresh": "1"}, **HTMX, **headers)
        assert NOT_REFRESHED not in first.content.decode()
        limits.reset()
        again = browser.get("/profile/meta", {"ref": JOE, "fresh": "1"}, **HTMX, **headers)
        assert NOT_REFRESHED in again.content.decode()


def test_an_unreachable_redis_limits_in_this_process_and_never_fails(db, stub_client):
    stub_client()
    browser = Client()
    headers = embedded("1001")
    with override_settings(REDIS_URL="redis://127.0.0.1:9/0", **TIGHT):
        answers = [meta_panel(browser, **headers) for _ in range(4)]
    assert [r.status_code for r in answers] == [200] * 4
    assert SLOW_DOWN not in answers[2].content.decode()
    assert SLOW_DOWN in answers[3].content.decode()


# --- Settings -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"), [("AGENT_RATE", "0"), ("AGENT_BURST", "1.5"), ("AGENT_FRESH_RATE", "inf")]
)
def test_a_bad_limit_stops_the_app_at_start(name, value):
    result = run_django({"SANDBOX": "true", name: value}, "")
    assert result.returncode != 0
    assert name in result.stderr
