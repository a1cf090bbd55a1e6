"""Development keys for the host simulators: sandbox mode only, never another configuration.

With a host's settings unset, sandbox mode verifies Zendesk tokens with an RSA key pair and
Pipedrive tokens with a secret generated here once and kept in `EMBED_DEV_KEYS_FILE`
(ignored by git), so `/dev/hosts/...` work with no set-up. `hosts` reads them only when
`settings.SANDBOX` is true.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings

# What the simulators pretend to be: a Zendesk account and installation, a Pipedrive company.
ZENDESK_SUBDOMAIN = "sandbox-demo"
ZENDESK_INSTALLATION_ID = "1"
PIPEDRIVE_COMPANY_ID = "1"
TOKEN_LIFETIME = 300  # seconds; Zendesk's and Pipedrive's own tokens are short-lived too

_lock = threading.Lock()


@dataclass(frozen=True)
class DevKeys:
    zendesk_private_key: str
    zendesk_public_key: str
    pipedrive_secret: str


def _generate() -> DevKeys:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return DevKeys(private, public, secrets.token_urlsafe(32))


_loaded: dict[Path, DevKeys] = {}


def dev_keys() -> DevKeys:
    """The keys, made on first use and kept in the project's ignored key file."""
    path = Path(settings.EMBED_DEV_KEYS_FILE)
    with _lock:
        if path in _loaded:
            return _loaded[path]
        try:
            keys = DevKeys(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            keys = _generate()
            # Readable by its owner only: it signs tokens the sandbox accepts.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as file:
                json.dump(keys.__dict__, file)
        _loaded[path] = keys
        return keys


def zendesk_token(
    *, user_id: str = "1001", now: int | None = None, lifetime: int = TOKEN_LIFETIME
) -> str:
    """A token as Zendesk signs it for a signed-URL app, for the simulator's installation."""
    now = int(time.time()) if now is None else now
    sub = ZENDESK_SUBDOMAIN
    claims = {
        "iss": f"{sub}.zendesk.com",
        "aud": f"https://{sub}.zendesk.com/api/v2/apps/installations/{ZENDESK_INSTALLATION_ID}.json",
        "sub": f"https://{sub}.zendesk.com/api/v2/users/{user_id}.json",
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(claims, dev_keys().zendesk_private_key, algorithm="RS256")


def pipedrive_token(
    *, user_id: str = "2001", company_id: str = PIPEDRIVE_COMPANY_ID, now: int | None = None
) -> str:
    """A token as Pipedrive signs a custom panel's URL (and its SDK's GET_SIGNED_TOKEN)."""
    now = int(time.time()) if now is None else now
    claims = {"userId": user_id, "companyId": company_id, "iat": now, "exp": now + TOKEN_LIFETIME}
    return jwt.encode(claims, dev_keys().pipedrive_secret, algorithm="HS256")
