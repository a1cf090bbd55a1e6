"""Host tokens as Zendesk and Pipedrive sign them (the sandbox's development keys), and
forgeries of every kind the entries must refuse."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from profileviewer.embed import devkeys
from tests.viewer.conftest import alice, upstream, upstream_requests  # noqa: F401 (fixtures)

SUB = devkeys.ZENDESK_SUBDOMAIN
ZENDESK_CLAIMS = {
    "iss": f"{SUB}.zendesk.com",
    "aud": f"https://{SUB}.zendesk.com/api/v2/apps/installations/1.json",
    "sub": f"https://{SUB}.zendesk.com/api/v2/users/1001.json",
}


def zendesk_claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {**ZENDESK_CLAIMS, "iat": now, "exp": now + 300}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def zendesk_token(**changes: Any) -> str:
    return jwt.encode(zendesk_claims(**changes), devkeys.dev_keys().zendesk_private_key, "RS256")


def pipedrive_token(secret: str | None = None, **changes: Any) -> str:
    now = int(time.time())
    claims = {"userId": 2001, "companyId": 1, "iat": now, "exp": now + 300, **changes}
    return jwt.encode(claims, secret or devkeys.dev_keys().pipedrive_secret, "HS256")


def other_rsa_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned(claims: dict[str, Any]) -> str:
    """`alg: none`: a token with no signature at all."""
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


def tampered(token: str, **changes: Any) -> str:
    """The same signature over a payload someone edited."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims.update(changes)
    return f"{header}.{b64(claims)}.{signature}"


def hs256_with_public_key(claims: dict[str, Any]) -> str:
    """The classic algorithm confusion: HS256, with the RS256 public key as the secret."""
    import hashlib
    import hmac

    key = devkeys.dev_keys().zendesk_public_key.encode()
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(claims)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


@pytest.fixture
def pipedrive_api(live_server: Any, settings: Any) -> str:
    """Pipedrive's API, as the sandbox fakes it, on the live server."""
    settings.PIPEDRIVE_API_URL = live_server.url + "/sandbox/pipedrive"
    return settings.PIPEDRIVE_API_URL
