"""The hosts' signed tokens, checked on entry: who the host says the agent is.

- Zendesk signs a signed-URL app's first load with RS256 (its key pair; we hold the public
  key). `iss` is the account's host name, `aud` the installation's API URL.
- Pipedrive signs a custom panel's URL with HS256 and the extension's JWT secret; the token's
  `userId` and `companyId` must be the ones in the query.
Each algorithm is pinned: `none`, or HS256 signed with Zendesk's public key as the secret,
never passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import jwt
from django.conf import settings

from profileviewer.embed import devkeys

Host = Literal["zendesk", "pipedrive"]
_HOST = re.compile(r"[a-z0-9.-]+")
PIPEDRIVE_ORIGINS = "https://*.pipedrive.com"
MAX_ID_LENGTH = 200  # a host's user or company id; longer ones are not the host's
LEEWAY = 60  # seconds of clock skew allowed on exp and iat
# Longer than any real host token; a guard against a pasted page of text, not a rule.
MAX_TOKEN_LENGTH = 8192


class HostTokenError(Exception):
    """The host's token is missing or not to be trusted; the message is safe to show."""


@dataclass(frozen=True)
class HostUser:
    """An agent as a host vouches for them."""

    host: Host
    account: str  # Zendesk: subdomain and installation; Pipedrive: company id
    user: str


@dataclass(frozen=True)
class ZendeskConfig:
    subdomain: str
    installation_id: str
    public_key: str
    frame_ancestors: tuple[str, ...]

    @property
    def issuer(self) -> str:
        return f"{self.subdomain}.zendesk.com"

    @property
    def audience(self) -> str:
        return (
            f"https://{self.subdomain}.zendesk.com/api/v2/apps/installations/"
            f"{self.installation_id}.json"
        )


@dataclass(frozen=True)
class PipedriveConfig:
    secret: str
    company_id: str | None
    frame_ancestors: tuple[str, ...]


def _dev_ancestors(configured: list[str], host_origin: str) -> tuple[str, ...]:
    # The simulators frame us from the other loopback name (localhost against 127.0.0.1).
    if configured:
        return tuple(configured)
    return (host_origin, "http://localhost:*", "http://127.0.0.1:*")


def zendesk_config() -> ZendeskConfig | None:
    """The Zendesk installation we serve, or None when Zendesk is off."""
    if settings.ZENDESK_SUBDOMAIN and settings.ZENDESK_APP_INSTALLATION_ID:
        subdomain = settings.ZENDESK_SUBDOMAIN
        return ZendeskConfig(
            subdomain=subdomain,
            installation_id=settings.ZENDESK_APP_INSTALLATION_ID,
            public_key=settings.ZENDESK_APP_PUBLIC_KEY,
            frame_ancestors=tuple(
                settings.ZENDESK_FRAME_ANCESTORS or [f"https://{subdomain}.zendesk.com"]
            ),
        )
    if settings.EMBED_DEV_HOSTS and not settings.ZENDESK_APP_PUBLIC_KEY:
        subdomain = devkeys.ZENDESK_SUBDOMAIN
        return ZendeskConfig(
            subdomain=subdomain,
            installation_id=devkeys.ZENDESK_INSTALLATION_ID,
            public_key=devkeys.dev_keys().zendesk_public_key,
            frame_ancestors=_dev_ancestors(
                settings.ZENDESK_FRAME_ANCESTORS, f"https://{subdomain}.zendesk.com"
            ),
        )
    return None


def pipedrive_config() -> PipedriveConfig | None:
    """The Pipedrive extension we serve, or None when Pipedrive is off."""
    if settings.PIPEDRIVE_JWT_SECRET:
        return PipedriveConfig(
            secret=settings.PIPEDRIVE_JWT_SECRET,
            company_id=settings.PIPEDRIVE_COMPANY_ID,
            frame_ancestors=tuple(settings.PIPEDRIVE_FRAME_ANCESTORS or [PIPEDRIVE_ORIGINS]),
        )
    if settings.EMBED_DEV_HOSTS:
        return PipedriveConfig(
            secret=devkeys.dev_keys().pipedrive_secret,
            company_id=settings.PIPEDRIVE_COMPANY_ID or devkeys.PIPEDRIVE_COMPANY_ID,
            frame_ancestors=_dev_ancestors(settings.PIPEDRIVE_FRAME_ANCESTORS, PIPEDRIVE_ORIGINS),
        )
    return None


def origin_allowed(origin: str, patterns: tuple[str, ...]) -> bool:
    """Whether `origin` (scheme://host[:port], nothing more) is one a frame-ancestors list
    allows; its wildcards are a leading `*.` in the host and a `:*` port."""
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return False
    host = parts.hostname or ""
    if (
        not _HOST.fullmatch(host)
        or parts.username is not None
        or f"{parts.scheme}://{parts.netloc}" != origin
    ):
        return False
    for pattern in patterns:
        p_scheme, sep, p_rest = pattern.partition("://")
        p_host, _, p_port = p_rest.partition(":")
        if not sep or p_scheme != parts.scheme:
            continue
        if p_port != "*" and str(port or "") != p_port:
            continue
        if p_host == host or (p_host.startswith("*.") and host.endswith(p_host[1:])):
            return True
    return False


def _decode(token: str, key: str, algorithm: str, **checks: object) -> dict[str, object]:
    if not token:
        raise HostTokenError("The host sent no signed token.")
    if len(token) > MAX_TOKEN_LENGTH:
        raise HostTokenError("The host's token is not a token.")
    try:
        return jwt.decode(  # type: ignore[no-any-return]
            token,
            key,
            algorithms=[algorithm],
            leeway=LEEWAY,
            options={"require": ["exp", "iat"]},
            **checks,  # type: ignore[arg-type]
        )
    except jwt.ExpiredSignatureError:
        raise HostTokenError("The host's token has expired: reload the app.") from None
    except jwt.ImmatureSignatureError:
        raise HostTokenError(
            "The host's token is not valid yet: check the server's clock."
        ) from None
    except jwt.InvalidAudienceError:
        raise HostTokenError("The host's token is for another installation.") from None
    except jwt.InvalidIssuerError:
        raise HostTokenError("The host's token is from another account.") from None
    except (jwt.PyJWTError, ValueError, TypeError):
        raise HostTokenError("The host's token could not be verified.") from None


def verify_zendesk(config: ZendeskConfig, token: str) -> HostUser:
    claims = _decode(
        token, config.public_key, "RS256", audience=config.audience, issuer=config.issuer
    )
    user = claims.get("sub")
    if not isinstance(user, str | int) or not 0 < len(str(user)) <= MAX_ID_LENGTH:
        raise HostTokenError("The host's token names no user.")
    account = f"{config.subdomain}/{config.installation_id}"
    return HostUser("zendesk", account, str(user))


def verify_pipedrive(
    config: PipedriveConfig, token: str, *, user_id: str, company_id: str
) -> HostUser:
    claims = _decode(token, config.secret, "HS256")
    token_user, token_company = str(claims.get("userId", "")), str(claims.get("companyId", ""))
    if not token_user or token_user != user_id or token_company != company_id:
        raise HostTokenError("The host's token is for another user or company.")
    if config.company_id and token_company != config.company_id:
        raise HostTokenError("This Pipedrive company is not the one this app serves.")
    return HostUser("pipedrive", token_company, token_user)
