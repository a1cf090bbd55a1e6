"""Creating, rotating and checking service keys. The only module that sees a key's secrets."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from profileviewer.api.models import Access, ServiceKey

KEY_PREFIX = "pvk_"
SIGNING_SECRET_PREFIX = "pvs_"  # noqa: S105 (a prefix, not a secret)
# Writing last_used_at on every request would turn each read into a write; a minute is enough
# for "is this key still in use?".
LAST_USED_RESOLUTION = timedelta(minutes=1)


class KeyRefused(Exception):
    """The token is not a usable key; ``reason`` is "unknown" (or revoked) or "expired"."""

    def __init__(self, reason: str, key: ServiceKey | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.key = key


@dataclass(frozen=True)
class IssuedSecrets:
    """What is shown once: the key, and the customer-token signing secret for such keys."""

    token: str
    signing_secret: str | None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_token(prefix: str) -> str:
    return f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"


def new_signing_secret() -> str:
    return SIGNING_SECRET_PREFIX + secrets.token_urlsafe(32)


def create_service_key(name: str, **fields: object) -> tuple[ServiceKey, str]:
    """Create a key; return it and the full token, which is never retrievable again.

    A customer-token key also gets its signing secret (``key.customer_token_secret``), which
    the caller shows once with the token. Refuses (ValidationError) what the model refuses,
    such as CORS origins on a server key."""
    prefix = secrets.token_hex(4)
    while ServiceKey.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    token = _new_token(prefix)
    key = ServiceKey(name=name, prefix=prefix, key_hash=_digest(token), **fields)
    if key.access == Access.CUSTOMER_TOKEN and not key.customer_token_secret:
        key.customer_token_secret = new_signing_secret()
    key.full_clean()
    key.save()
    return key, token


def rotate_service_key(key: ServiceKey, grace: timedelta) -> IssuedSecrets:
    """Give the key new secrets; the current ones keep working for `grace` (none if zero).

    A second rotation within the grace period ends the first one's old secrets at once."""
    if grace < timedelta(0):
        raise ValueError("The grace period cannot be negative.")
    token = _new_token(key.prefix)
    signing = new_signing_secret() if key.access == Access.CUSTOMER_TOKEN else None
    with transaction.atomic():
        key = ServiceKey.objects.select_for_update().get(pk=key.pk)
        if grace:
            key.previous_key_hash = key.key_hash
            key.previous_customer_token_secret = key.customer_token_secret
            key.previous_valid_until = timezone.now() + grace
        else:
            key.previous_key_hash = key.previous_customer_token_secret = ""
            key.previous_valid_until = None
        key.key_hash = _digest(token)
        key.customer_token_secret = signing or ""
        key.save(
            update_fields=[
                "key_hash",
                "customer_token_secret",
                "previous_key_hash",
                "previous_customer_token_secret",
                "previous_valid_until",
            ]
        )
    return IssuedSecrets(token, signing)


def parse_bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None if malformed."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def _matches(key: ServiceKey, token: str) -> bool:
    digest = _digest(token)
    if hmac.compare_digest(key.key_hash, digest):
        return True
    return (
        bool(key.previous_key_hash)
        and key.in_grace()
        and (hmac.compare_digest(key.previous_key_hash, digest))
    )


def verify(token: str) -> ServiceKey:
    """The usable key this token belongs to; KeyRefused when unknown, revoked or expired."""
    if not token.startswith(KEY_PREFIX) or len(token) > 200:
        raise KeyRefused("unknown")
    prefix, sep, _ = token.removeprefix(KEY_PREFIX).partition("_")
    if not sep or not prefix.isalnum():
        raise KeyRefused("unknown")
    key = ServiceKey.objects.filter(prefix=prefix).first()
    if key is None or not _matches(key, token) or not key.is_active:
        raise KeyRefused("unknown")
    now = timezone.now()
    if key.has_expired(now):
        raise KeyRefused("expired", key)
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ServiceKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def authenticate(token: str) -> ServiceKey | None:
    """The usable key this token belongs to, or None (unknown, malformed, revoked, expired)."""
    try:
        return verify(token)
    except KeyRefused:
        return None


def signing_secrets(key: ServiceKey) -> list[str]:
    """The secrets a customer token for this key may be signed with, newest first."""
    found = [key.customer_token_secret] if key.customer_token_secret else []
    if key.previous_customer_token_secret and key.in_grace():
        found.append(key.previous_customer_token_secret)
    return found
