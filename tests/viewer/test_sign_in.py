"""Signing in: failed attempts are throttled per account and per address, a sign-in ends
when idle or too old, and `next` never loops (issue 21, item 4; profileviewer/agents/)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import get_hasher
from django.contrib.auth.models import User
from django.db.models import F
from django.test import Client, override_settings
from django.test.client import RequestFactory

from profileviewer.agents.sessions import SEEN_AT, SIGNED_IN_AT
from profileviewer.agents.throttle import client_address
from tests.viewer.conftest import JOE

RIGHT = "alice-password-1"
LOCKED_TEXT = "Try again in 15 minutes"


def sign_in(
    browser: Client,
    username: str,
    password: str,
    *,
    address: str = "198.51.100.7",
    url: str = "/accounts/login/",
    **extra: Any,
) -> Any:
    return browser.post(
        url, {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def fail(times: int, username: str = "alice", **kwargs: Any) -> None:
    for _ in range(times):
        response = sign_in(Client(), username, "wrong-password", **kwargs)
        assert response.status_code in (200, 429)


def main_text(response: Any) -> str:
    match = re.search(r"<main.*</main>", response.content.decode(), re.S)
    assert match is not None
    return match.group(0)


def signed_in(response: Any) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


@pytest.fixture
def hashing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password the configured hasher hashes or checks, by method name."""
    calls: list[str] = []
    hasher = type(get_hasher())
    for name in ("encode", "verify"):
        original: Callable[..., Any] = getattr(hasher, name)

        def counted(self: Any, *args: Any, _name: str = name, _original: Any = original) -> Any:
            calls.append(_name)
            return _original(self, *args)

        monkeypatch.setattr(hasher, name, counted)
    return calls


# --- Throttling ---------------------------------------------------------------------------


def test_four_wrong_passwords_still_let_the_right_one_in(alice: User) -> None:
    fail(4)
    assert signed_in(sign_in(Client(), "alice", RIGHT))


@pytest.mark.postgres
def test_the_fifth_wrong_password_locks_the_account_and_the_right_one_is_then_refused(
    alice: User,
) -> None:
    fail(4)
    fifth = sign_in(Client(), "alice", "wrong-password")
    assert fifth.status_code == 429
    right = sign_in(Client(), "alice", RIGHT)
    assert right.status_code == 429
    assert "_auth_user_id" not in right.client.session


@pytest.mark.postgres
def test_an_account_is_locked_even_when_every_try_comes_from_another_address(
    alice: User,
) -> None:
    for i in range(5):
        sign_in(Client(), "alice", "wrong-password", address=f"203.0.113.{i}")
    response = sign_in(Client(), "alice", RIGHT, address="192.0.2.200")
    assert response.status_code == 429
    assert LOCKED_TEXT in response.content.decode()


@pytest.mark.postgres
def test_an_address_is_locked_even_when_it_tries_a_different_account_each_time(
    alice: User,
) -> None:
    for i in range(5):
        sign_in(Client(), f"guess-{i}", "wrong-password", address="203.0.113.9")
    assert sign_in(Client(), "alice", RIGHT, address="203.0.113.9").status_code == 429
    # Alice herself, elsewhere, is not locked out by that address.
    assert signed_in(sign_in(Client(), "alice", RIGHT, address="192.0.2.1"))


def test_the_lockout_page_says_when_to_retry_without_telling_whether_the_account_exists(
    alice: User,
) -> None:
    fail(5, "alice", address="203.0.113.1")
    fail(5, "no-such-agent", address="203.0.113.2")
    for_alice = sign_in(Client(), "alice", RIGHT, address="203.0.113.1")
    for_nobody = sign_in(Client(), "no-such-agent", RIGHT, address="203.0.113.2")

    assert for_alice.status_code == for_nobody.status_code == 429
    assert for_alice["Retry-After"] == "900"
    assert main_text(for_alice) == main_text(for_nobody)
    html = for_alice.content.decode()
    assert "Sign-in paused" in html and LOCKED_TEXT in html
    assert "alice" not in main_text(for_alice)
    assert "Traceback" not in html and "axes" not in html.lower()


def test_a_locked_out_attempt_hashes_no_password(alice: User, hashing: list[str]) -> None:
    sign_in(Client(), "alice", "wrong-password")
    assert hashing, "a normal attempt checks the password"
    fail(4)
    fail(5, "no-such-agent", address="203.0.113.2")

    hashing.clear()
    assert sign_in(Client(), "alice", RIGHT).status_code == 429
    assert sign_in(Client(), "no-such-agent", RIGHT, address="203.0.113.2").status_code == 429
    assert hashing == []


@pytest.mark.postgres
def test_the_lock_lifts_once_the_lockout_time_has_passed(alice: User) -> None:
    fail(5)

    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=14))
    assert sign_in(Client(), "alice", RIGHT).status_code == 429
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=2))
    assert signed_in(sign_in(Client(), "alice", RIGHT))


@override_settings(AXES_COOLOFF_TIME=timedelta(minutes=1))
def test_the_page_names_the_configured_lockout_time(alice: User) -> None:
    fail(5)
    response = sign_in(Client(), "alice", RIGHT)
    assert "Try again in 1 minute." in response.content.decode()
    assert response["Retry-After"] == "60"


def test_signing_in_forgives_the_agents_own_earlier_failures(alice: User) -> None:
    fail(4)
    assert signed_in(sign_in(Client(), "alice", RIGHT))
    fail(4)
    assert signed_in(sign_in(Client(), "alice", RIGHT))


@pytest.mark.postgres
def test_a_colleague_signing_in_from_the_same_address_does_not_clear_failures_on_another_account(
    alice: User,
) -> None:
    User.objects.create_user("carol", password="carol-password-1")
    fail(4, "alice", address="203.0.113.5")
    assert signed_in(sign_in(Client(), "carol", "carol-password-1", address="203.0.113.5"))
    fail(1, "alice", address="192.0.2.9")
    assert sign_in(Client(), "alice", RIGHT, address="192.0.2.10").status_code == 429


def test_the_admin_sign_in_is_throttled_with_the_same_page_and_count(db: None) -> None:
    User.objects.create_superuser("root", password="root-password-1")
    fail(3, "root")
    fail(2, "root", url="/admin/login/")
    response = sign_in(Client(), "root", "root-password-1", url="/admin/login/")
    assert response.status_code == 429
    assert LOCKED_TEXT in response.content.decode()
    assert 'href="/admin/login/"' in response.content.decode()


def test_the_admin_still_signs_in_when_not_locked(db: None) -> None:
    User.objects.create_superuser("root", password="root-password-1")
    browser = Client()
    assert signed_in(sign_in(browser, "root", "root-password-1", url="/admin/login/"))
    assert browser.get("/admin/").status_code == 200


# --- Which address is counted -------------------------------------------------------------


def test_a_forged_forwarded_for_header_is_ignored_by_default(alice: User) -> None:
    for i in range(5):
        sign_in(
            Client(),
            f"guess-{i}",
            "wrong-password",
            address="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}",
        )
    response = sign_in(
        Client(), "alice", RIGHT, address="203.0.113.9", HTTP_X_FORWARDED_FOR="192.0.2.77"
    )
    assert response.status_code == 429


@override_settings(TRUSTED_PROXY_COUNT=1)
@pytest.mark.postgres
def test_behind_a_proxy_the_address_it_saw_is_counted_not_what_the_client_wrote(
    alice: User,
) -> None:
    for i in range(5):
        sign_in(
            Client(),
            f"guess-{i}",
            "wrong-password",
            address="10.0.0.2",  # the proxy
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}, 203.0.113.9",
        )
    via_proxy: dict[str, Any] = {"address": "10.0.0.2"}
    locked = sign_in(Client(), "alice", RIGHT, HTTP_X_FORWARDED_FOR="203.0.113.9", **via_proxy)
    assert locked.status_code == 429
    elsewhere = sign_in(Client(), "alice", RIGHT, HTTP_X_FORWARDED_FOR="192.0.2.1", **via_proxy)
    assert signed_in(elsewhere)


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, "192.0.2.1", "10.0.0.2"),
        (1, "192.0.2.1, 203.0.113.9", "203.0.113.9"),
        (2, "192.0.2.1, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
        (2, "203.0.113.9", "10.0.0.2"),  # fewer hops than proxies: not through them
        (1, "192.0.2.1, not-an-address", "10.0.0.2"),
        (1, "", "10.0.0.2"),
        (1, " 2001:DB8::1 ", "2001:db8::1"),
    ],
)
def test_the_counted_address(proxies: int, forwarded_for: str, expected: str) -> None:
    request = RequestFactory().post(
        "/accounts/login/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for
    )
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert client_address(request) == expected


# --- How long a sign-in lasts -------------------------------------------------------------


def age(browser: Client, *, idle_minutes: float = 0, signed_in_hours: float = 0) -> None:
    session = browser.session
    now = time.time()
    session[SEEN_AT] = now - idle_minutes * 60
    session[SIGNED_IN_AT] = now - signed_in_hours * 3600
    session.save()


def test_an_agent_idle_for_under_the_limit_stays_signed_in(agent: Client) -> None:
    age(agent, idle_minutes=29, signed_in_hours=11.9)
    assert agent.get("/").status_code == 200


def test_an_agent_idle_for_longer_than_the_limit_is_sent_to_sign_in_again(agent: Client) -> None:
    age(agent, idle_minutes=31)
    response = agent.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2F"
    page = agent.get(response["Location"]).content.decode()
    assert "signed out after 30 minutes without activity" in page
    assert agent.get("/").status_code == 302  # the session is gone, not only refused once


def test_a_sign_in_ends_after_the_longest_lifetime_however_active(agent: Client) -> None:
    age(agent, idle_minutes=0, signed_in_hours=12.01)
    response = agent.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert "a sign-in lasts 12 hours" in response.content.decode()


def test_an_expired_sessions_htmx_panel_sends_the_whole_page_to_sign_in(agent: Client) -> None:
    age(agent, idle_minutes=31)
    response = agent.get(
        f"/profile/traits?ref={JOE}",
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver/profile?ref={JOE}"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fprofile%3Fref%3DuserId%3Aqrc-117322"


def test_activity_pushes_the_idle_limit_back(agent: Client) -> None:
    age(agent, idle_minutes=29)
    agent.get("/")
    assert time.time() - agent.session[SEEN_AT] < 5
    age(agent, idle_minutes=20, signed_in_hours=1)
    assert agent.get("/").status_code == 200


def test_the_live_poll_does_not_count_as_activity(agent: Client) -> None:
    age(agent, idle_minutes=20)
    seen = agent.session[SEEN_AT]
    poll = agent.get("/", headers={"HX-Request": "true", "X-Background-Request": "1"})
    assert poll.status_code == 200
    assert agent.session[SEEN_AT] == seen  # an unattended screen still times out
    age(agent, idle_minutes=31)
    assert agent.get("/", headers={"X-Background-Request": "1"}).status_code == 302


def test_the_live_poller_marks_its_requests_as_background(agent: Client, upstream: Any) -> None:
    page = agent.get(f"/profile/timeline?ref={JOE}", headers={"HX-Request": "true"})
    poller = page.content.decode().split('class="live-poller"', 1)[1].split(">", 1)[0]
    assert "X-Background-Request" in poller


def test_requests_within_a_minute_do_not_rewrite_the_session(agent: Client) -> None:
    age(agent, idle_minutes=0.5)
    seen = agent.session[SEEN_AT]
    agent.get("/")
    assert agent.session[SEEN_AT] == seen


@override_settings(SESSION_IDLE_MINUTES=5, SESSION_MAX_HOURS=1)
def test_the_limits_come_from_the_settings(agent: Client) -> None:
    age(agent, idle_minutes=6)
    assert agent.get("/").status_code == 302


def test_a_session_from_before_these_limits_ends(agent: Client) -> None:
    session = agent.session
    del session[SEEN_AT], session[SIGNED_IN_AT]
    session.save()
    assert agent.get("/").status_code == 302


def test_a_request_with_an_embed_token_leaves_the_session_alone(agent: Client) -> None:
    age(agent, idle_minutes=31)
    agent.get("/", headers={"Authorization": "Bearer not-a-token"})
    assert "_auth_user_id" in agent.session


def test_signing_in_starts_a_fresh_lifetime(alice: User) -> None:
    browser = Client()
    assert signed_in(sign_in(browser, "alice", RIGHT))
    assert time.time() - browser.session[SIGNED_IN_AT] < 5
    assert browser.get("/").status_code == 200


# --- Where a signed-in agent lands ------------------------------------------------------------


@pytest.mark.parametrize(
    "next_url",
    [
        "/accounts/login/",
        "/accounts/login/?next=/accounts/login/",
        "http://testserver/accounts/login/",
        ".",
    ],
)
def test_a_signed_in_agent_sent_back_to_the_sign_in_page_lands_on_the_search(
    agent: Client, next_url: str
) -> None:
    response = agent.get("/accounts/login/", {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_signed_in_agent_still_goes_where_next_says(agent: Client) -> None:
    response = agent.get("/accounts/login/", {"next": f"/profile?ref={JOE}"})
    assert response["Location"] == f"/profile?ref={JOE}"


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_a_next_to_another_site_is_refused(alice: User, agent: Client, next_url: str) -> None:
    assert agent.get("/accounts/login/", {"next": next_url})["Location"] == "/"
    response = Client().post(
        "/accounts/login/", {"username": "alice", "password": RIGHT, "next": next_url}
    )
    assert response["Location"] == "/"
