"""The hosts' signed tokens: Zendesk's RS256 and Pipedrive's HS256, each algorithm pinned,
each claim checked. Every refusal is a sentence an agent can act on."""

from __future__ import annotations

import time

import jwt
import pytest

from profileviewer.embed import hosts
from profileviewer.embed.hosts import HostTokenError
from tests.embed.conftest import (
    hs256_with_public_key,
    other_rsa_key,
    pipedrive_token,
    tampered,
    unsigned,
    zendesk_claims,
    zendesk_token,
)


def zendesk(token: str) -> hosts.HostUser:
    config = hosts.zendesk_config()
    assert config is not None
    return hosts.verify_zendesk(config, token)


def pipedrive(token: str, user_id: str = "2001", company_id: str = "1") -> hosts.HostUser:
    config = hosts.pipedrive_config()
    assert config is not None
    return hosts.verify_pipedrive(config, token, user_id=user_id, company_id=company_id)


def test_a_zendesk_token_names_the_agent_and_the_installation() -> None:
    user = zendesk(zendesk_token())
    assert (user.host, user.account) == ("zendesk", "sandbox-demo/1")
    assert user.user.endswith("/users/1001.json")


@pytest.mark.parametrize(
    ("token", "says"),
    [
        ("", "no signed token"),
        (lambda: zendesk_token(exp=int(time.time()) - 61, iat=int(time.time()) - 400), "expired"),
        (lambda: zendesk_token(iat=int(time.time()) + 600), "not valid yet"),
        (lambda: zendesk_token(nbf=int(time.time()) + 600), "not valid yet"),
        (
            lambda: zendesk_token(
                aud="https://sandbox-demo.zendesk.com/api/v2/apps/installations/2.json"
            ),
            "another installation",
        ),
        (lambda: zendesk_token(iss="evil.zendesk.com"), "another account"),
        (lambda: zendesk_token(exp=None), "could not be verified"),
        (lambda: jwt.encode(zendesk_claims(), other_rsa_key(), "RS256"), "could not be verified"),
        (lambda: unsigned(zendesk_claims()), "could not be verified"),
        (lambda: hs256_with_public_key(zendesk_claims()), "could not be verified"),
        (
            lambda: tampered(
                zendesk_token(), sub="https://sandbox-demo.zendesk.com/api/v2/users/1.json"
            ),
            "could not be verified",
        ),
        ("not.a.token", "could not be verified"),
        ("x" * 9000, "not a token"),
    ],
    ids=[
        "missing",
        "expired",
        "iat-ahead",
        "nbf-ahead",
        "wrong-aud",
        "wrong-iss",
        "no-exp",
        "other-key",
        "alg-none",
        "hs256-public-key",
        "tampered",
        "garbage",
        "huge",
    ],
)
def test_a_bad_zendesk_token_is_refused_with_a_reason(token: object, says: str) -> None:
    with pytest.raises(HostTokenError, match=says):
        zendesk(token() if callable(token) else token)  # type: ignore[arg-type]


def test_sixty_seconds_of_clock_skew_are_allowed() -> None:
    now = int(time.time())
    assert zendesk(zendesk_token(iat=now - 400, exp=now - 30)).host == "zendesk"


def test_a_pipedrive_token_must_match_the_query() -> None:
    assert pipedrive(pipedrive_token()).user == "2001"
    with pytest.raises(HostTokenError, match="another user or company"):
        pipedrive(pipedrive_token(), user_id="2002")
    with pytest.raises(HostTokenError, match="another user or company"):
        pipedrive(pipedrive_token(), company_id="9")


def test_a_pipedrive_token_from_another_company_than_the_configured_one_is_refused(
    settings: object,
) -> None:
    settings.PIPEDRIVE_COMPANY_ID = "7"  # type: ignore[attr-defined]
    with pytest.raises(HostTokenError, match="not the one this app serves"):
        pipedrive(pipedrive_token())


@pytest.mark.parametrize(
    "token",
    [
        lambda: pipedrive_token(secret="another-secret-entirely-0123456789"),
        lambda: pipedrive_token(exp=int(time.time()) - 120),
        lambda: unsigned(
            {"userId": 2001, "companyId": 1, "iat": int(time.time()), "exp": int(time.time()) + 60}
        ),
        lambda: tampered(pipedrive_token(), userId=1),
        lambda: jwt.encode(
            {"userId": 2001, "companyId": 1, "iat": int(time.time()), "exp": int(time.time()) + 60},
            other_rsa_key(),
            "RS256",
        ),
    ],
    ids=["other-secret", "expired", "alg-none", "tampered", "rs256"],
)
def test_a_bad_pipedrive_token_is_refused(token: object) -> None:
    with pytest.raises(HostTokenError):
        pipedrive(token())  # type: ignore[operator]


def test_outside_sandbox_mode_an_unset_host_is_off_and_dev_keys_mean_nothing(
    settings: object,
) -> None:
    settings.SANDBOX = settings.EMBED_DEV_HOSTS = False  # type: ignore[attr-defined]
    assert hosts.zendesk_config() is None
    assert hosts.pipedrive_config() is None


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example?.sandbox-demo.zendesk.com",
        "https://evil.example#.sandbox-demo.zendesk.com",
        "https://user@sandbox-demo.zendesk.com",
        "http://localhost:1@evil.example",
        "https://sandbox-demo.zendesk.com/",
        "https://sandbox-demo.zendesk.com.evil.example",
        "https://sandbox-demo.zendesk.com:notaport",
        "javascript:alert(1)",
    ],
)
def test_an_origin_is_matched_as_an_origin_not_as_text(origin: str) -> None:
    patterns = ("https://sandbox-demo.zendesk.com", "http://localhost:*", "https://*.zendesk.com")
    assert not hosts.origin_allowed(origin, patterns)


def test_allowed_origins_match_exactly_or_by_their_wildcards() -> None:
    patterns = ("https://acme.zendesk.com", "http://localhost:*", "https://*.pipedrive.com")
    for origin in ("https://acme.zendesk.com", "http://localhost:8000", "https://x.pipedrive.com"):
        assert hosts.origin_allowed(origin, patterns), origin
