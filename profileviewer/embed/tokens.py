"""Our own embed token: issued once a host's token checks out, sent back on every request.

A JWT (PyJWT, HS256 with a key derived from SECRET_KEY), bound to the host, the account
(Zendesk installation or Pipedrive company) and the host user. It lives `EMBED_TOKEN_TTL`
seconds and is renewed while in use, but never past `EMBED_TOKEN_MAX_AGE` from the host's
sign-in (`start`): after that the host must vouch for the agent again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.utils.crypto import salted_hmac

from profileviewer.embed.hosts import Host, HostUser

ISSUER = "profileviewer"
ALGORITHM = "HS256"
MAX_LENGTH = 2048


class EmbedTokenError(Exception):
    """Our token is missing, forged, expired or past its maximum age; safe to show."""

    def __init__(self, message: str, *, restart: bool = False) -> None:
        super().__init__(message)
        self.restart = restart  # the host must start the app afresh (a new signed token)


@dataclass(frozen=True)
class EmbedAgent:
    """An agent signed in through a host, as a request's `agent`."""

    host: Host
    account: str
    user: str
    start: int  # when the host's own token was checked (epoch seconds)
    expires: int

    is_authenticated = True
    is_active = True

    def needs_renewal(self, now: float | None = None) -> bool:
        """Past half its life, and a fresh one would add time before the maximum age."""
        now = time.time() if now is None else now
        half = self.expires - settings.EMBED_TOKEN_TTL / 2
        return now >= half and self.expires < self.start + settings.EMBED_TOKEN_MAX_AGE


def _key() -> bytes:
    return salted_hmac("profileviewer.embed.token", "signing key", algorithm="sha256").digest()


def _audience(host: Host) -> str:
    return f"{ISSUER}:embed:{host}"


def issue(user: HostUser, *, start: int | None = None, now: int | None = None) -> str:
    """A token for `user`; `start` carries a renewed token's original sign-in time."""
    now = int(time.time()) if now is None else now
    start = now if start is None else start
    expires = min(now + settings.EMBED_TOKEN_TTL, start + settings.EMBED_TOKEN_MAX_AGE)
    claims = {
        "iss": ISSUER,
        "aud": _audience(user.host),
        "host": user.host,
        "acc": user.account,
        "sub": user.user,
        "start": start,
        "iat": now,
        "exp": expires,
    }
    return jwt.encode(claims, _key(), algorithm=ALGORITHM)


def renew(agent: EmbedAgent) -> str:
    return issue(HostUser(agent.host, agent.account, agent.user), start=agent.start)


def read(token: str, *, host: Host | None = None) -> EmbedAgent:
    """The agent a token vouches for; with `host`, only a token that host's entry issued."""
    if not token or len(token) > MAX_LENGTH:
        raise EmbedTokenError("This panel's sign-in is missing: reload the app.", restart=True)
    hosts: tuple[Host, ...] = (host,) if host else ("zendesk", "pipedrive")
    try:
        claims = jwt.decode(
            token,
            _key(),
            algorithms=[ALGORITHM],
            audience=[_audience(h) for h in hosts],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "aud", "iss", "sub"]},
        )
        agent = EmbedAgent(
            host=claims["host"],
            account=str(claims["acc"]),
            user=str(claims["sub"]),
            start=int(claims["start"]),
            expires=int(claims["exp"]),
        )
    except jwt.ExpiredSignatureError:
        raise EmbedTokenError(
            "This panel's sign-in has expired: reload the app to sign in again.", restart=True
        ) from None
    except jwt.InvalidAudienceError:
        raise EmbedTokenError("This panel's sign-in is for another app: reload the app.") from None
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        raise EmbedTokenError("This panel's sign-in is not valid: reload the app.") from None
    if agent.host not in hosts or claims["aud"] != _audience(agent.host):
        raise EmbedTokenError("This panel's sign-in is for another app: reload the app.")
    if agent.start + settings.EMBED_TOKEN_MAX_AGE < time.time():
        raise EmbedTokenError(
            "This panel has been open a long time: reload the app to sign in again.",
            restart=True,
        )
    return agent
