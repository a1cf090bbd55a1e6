"""Our embed token: bound to its host, account and user; renewed while used, never past its
maximum age; a bad one is a 401 the sidebar shows, never a fall-back to a cookie."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from profileviewer.embed import tokens
from profileviewer.embed.hosts import HostUser
from profileviewer.embed.tokens import EmbedTokenError
from tests.embed.conftest import tampered

ZENDESK_AGENT = HostUser("zendesk", "sandbox-demo/1", "1001")
PIPEDRIVE_AGENT = HostUser("pipedrive", "1", "2001")


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_HX_REQUEST": "true"}


def test_a_token_reads_back_as_its_agent() -> None:
    agent = tokens.read(tokens.issue(ZENDESK_AGENT))
    assert (agent.host, agent.account, agent.user) == ("zendesk", "sandbox-demo/1", "1001")


def test_a_token_is_for_its_own_host_only() -> None:
    token = tokens.issue(ZENDESK_AGENT)
    with pytest.raises(EmbedTokenError, match="another app"):
        tokens.read(token, host="pipedrive")


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: tampered(t, sub="9999"),
        lambda t: tampered(t, host="pipedrive", aud="profileviewer:embed:pipedrive"),
        lambda t: tampered(t, exp=int(time.time()) + 10**6),
        lambda t: t[:-4] + "AAAA",
        lambda t: "",
    ],
    ids=["other-user", "other-host", "longer-life", "bad-signature", "empty"],
)
def test_a_forged_token_is_refused(forge: Any) -> None:
    with pytest.raises(EmbedTokenError):
        tokens.read(forge(tokens.issue(ZENDESK_AGENT)))


def test_an_expired_token_asks_for_a_fresh_start(settings: Any) -> None:
    old = int(time.time()) - settings.EMBED_TOKEN_TTL - 1
    with pytest.raises(EmbedTokenError, match="expired") as caught:
        tokens.read(tokens.issue(ZENDESK_AGENT, now=old))
    assert caught.value.restart


def test_renewal_keeps_the_start_and_stops_at_the_maximum_age(settings: Any) -> None:
    settings.EMBED_TOKEN_TTL, settings.EMBED_TOKEN_MAX_AGE = 900, 3600
    now = int(time.time())
    # Issued 10 minutes ago, signed in 50 minutes ago: past half its life, renewable.
    agent = tokens.read(tokens.issue(PIPEDRIVE_AGENT, start=now - 3000, now=now - 600))
    assert agent.needs_renewal()
    renewed = tokens.read(tokens.renew(agent))
    assert renewed.start == agent.start
    assert renewed.expires == agent.start + 3600  # capped at the maximum age
    assert not renewed.needs_renewal(now=renewed.expires - 1)  # nothing left to add


def test_a_token_past_the_maximum_age_is_refused_even_if_unexpired(settings: Any) -> None:
    settings.EMBED_TOKEN_MAX_AGE = 7200
    token = tokens.issue(ZENDESK_AGENT, start=int(time.time()) - 3601)
    settings.EMBED_TOKEN_MAX_AGE = 3600  # an operator shortened it since
    with pytest.raises(EmbedTokenError, match="open a long time") as caught:
        tokens.read(token)
    assert caught.value.restart


@pytest.mark.django_db
def test_a_panel_with_a_bad_token_answers_401_and_never_uses_the_session(alice: Any) -> None:
    browser = Client()
    browser.force_login(alice)  # a valid session cookie beside a forged token
    response = browser.get(
        "/profile/traits?ref=userId:qrc-117322",
        **bearer(tampered(tokens.issue(ZENDESK_AGENT), sub="1")),
    )
    assert response.status_code == 401
    assert "reload the app" in response.content.decode()
    assert "Set-Cookie" not in response.headers


@pytest.mark.django_db
def test_the_token_endpoint_renews_past_half_life_and_refuses(settings: Any) -> None:
    fresh = Client().get("/embed/pipedrive/token", **bearer(tokens.issue(PIPEDRIVE_AGENT)))
    assert fresh.status_code == 204 and "X-Embed-Token" not in fresh.headers
    ten_minutes_old = tokens.issue(PIPEDRIVE_AGENT, now=int(time.time()) - 600)
    response = Client().get("/embed/pipedrive/token", **bearer(ten_minutes_old))
    renewed = tokens.read(response["X-Embed-Token"])
    assert (renewed.host, renewed.user) == ("pipedrive", "2001")
    assert renewed.expires > tokens.read(ten_minutes_old).expires
    assert (
        response["Cache-Control"] == "no-store, private" or "no-store" in response["Cache-Control"]
    )
    assert "Authorization" in response["Vary"]
    expired = tokens.issue(PIPEDRIVE_AGENT, now=int(time.time()) - 10_000)
    assert Client().get("/embed/pipedrive/token", **bearer(expired)).status_code == 401
    assert Client().get("/embed/pipedrive/token").status_code == 302  # no token: sign-in page


@pytest.mark.django_db
def test_a_host_switched_off_stops_its_tokens_at_once(settings: Any) -> None:
    token = tokens.issue(PIPEDRIVE_AGENT)
    settings.SANDBOX = settings.EMBED_DEV_HOSTS = False
    assert Client().get("/embed/pipedrive/token", **bearer(token)).status_code == 404


@pytest.mark.django_db
def test_a_token_from_one_host_is_refused_on_the_others_pages() -> None:
    zendesk, pipedrive = tokens.issue(ZENDESK_AGENT), tokens.issue(PIPEDRIVE_AGENT)
    for url, token in [
        ("/embed/pipedrive/sidebar?ref=userId:qrc-117322", zendesk),
        ("/embed/pipedrive/token", zendesk),
        ("/embed/zendesk/sidebar?ref=userId:qrc-117322", pipedrive),
        ("/embed/zendesk/reply-text?ref=userId:qrc-117322", pipedrive),
    ]:
        response = Client().get(url, **bearer(token))
        assert response.status_code == 401, url
        assert "another app" in response.content.decode()
        assert response["X-Embed-Refused"] == "1"  # ours: the sidebar shows it as sent
        assert "X-Embed-Token" not in response.headers
