"""Creating and checking service keys. The only module that sees a key's secret."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.utils import timezone

from profileviewer.api.models import ServiceKey

KEY_PREFIX = "pvk_"
# Writing last_used_at on every request would turn each read into a write; a minute is enough
# for "is this key still in use?".
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_service_key(name: str, **fields: object) -> tuple[ServiceKey, str]:
    """Create a key; return it and the full token, which is never retrievable again."""
    prefix = secrets.token_hex(4)
    while ServiceKey.objects.filter(prefix=prefix).exists():
        prefix = secrets.token_hex(4)
    token = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ServiceKey.objects.create(name=name, prefix=prefix, key_hash=_digest(token), **fields)
    return key, token


def parse_bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None if malformed."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def authenticate(token: str) -> ServiceKey | None:
    """The active key this token belongs to, or None (unknown, malformed or revoked)."""
    if not token.startswith(KEY_PREFIX) or len(token) > 200:
        return None
    prefix, sep, _ = token.removeprefix(KEY_PREFIX).partition("_")
    if not sep or not prefix.isalnum():
        return None
    key = ServiceKey.objects.filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.key_hash, _digest(token)):
        return None
    if not key.is_active:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ServiceKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
