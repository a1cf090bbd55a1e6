"""What a key may read: browser keys are limited to non-identifying endpoints, or to the one
customer a signed token from the customer's own back end names.

A key in a web page can be copied by anyone, and the full profile names the person (name,
email, phone, traits), so a browser key never reads one for a customer it was not given.
The summary and the recommendations hold no contact details or identifiers beyond the
reference the caller already sent.

The customer token is an HS256 JWT signed with the key's signing secret: ``sub`` is the
customer reference (``userId:…``, ``email:…``, ``id:…``), ``exp`` at most
``CUSTOMER_TOKEN_MAX_SECONDS`` ahead. It travels in the ``X-Customer-Token`` header.
"""

from __future__ import annotations

import time

import jwt

from profileviewer.api.errors import ApiError
from profileviewer.api.keys import signing_secrets
from profileviewer.api.models import Access, ServiceKey
from profileviewer.client import ProfileRef, ProfileRefError

CUSTOMER_TOKEN_HEADER = "X-Customer-Token"  # noqa: S105 (a header name)
# Short-lived, so a token copied from a page stops working soon after.
CUSTOMER_TOKEN_MAX_SECONDS = 3600
CLOCK_LEEWAY_SECONDS = 30
MAX_TOKEN_LENGTH = 2000


def _refused(message: str) -> ApiError:
    return ApiError(403, "permission_error", message)


def _same_customer(a: ProfileRef, b: ProfileRef) -> bool:
    if a.id_type != b.id_type:
        return False
    if a.id_type == "email":  # one mailbox, however it is capitalised
        return a.value.lower() == b.value.lower()
    return a.value == b.value


def _token_customer(key: ServiceKey, token: str) -> ProfileRef:
    """The customer a valid token names; ApiError(403) for anything else."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise _refused("The customer token is not valid.")
    for secret in signing_secrets(key):
        try:
            claims = jwt.decode(
                token,
                secret,
                algorithms=["HS256"],
                options={"require": ["exp", "sub"]},
                leeway=CLOCK_LEEWAY_SECONDS,
            )
        except jwt.ExpiredSignatureError:
            raise _refused(
                "The customer token has expired; ask your back end for a new one."
            ) from None
        except jwt.InvalidTokenError:
            continue
        break
    else:
        raise _refused("The customer token is not valid for this key.")
    if claims["exp"] > time.time() + CUSTOMER_TOKEN_MAX_SECONDS + CLOCK_LEEWAY_SECONDS:
        raise _refused(
            f"The customer token lives too long: mint one that expires within "
            f"{CUSTOMER_TOKEN_MAX_SECONDS} seconds."
        )
    try:
        return ProfileRef.parse(claims["sub"])
    except ProfileRefError:
        raise _refused("The customer token's sub is not a profile reference.") from None


def authorize(key: ServiceKey, ref: ProfileRef, *, identifying: bool, token: str | None) -> None:
    """Raise ApiError(403) unless `key` may read `ref` at an endpoint that is `identifying`."""
    if key.access == Access.SERVER:
        return
    if key.access == Access.NON_IDENTIFYING:
        if identifying:
            raise _refused(
                "This browser key reads only the summary and recommendations, not full "
                "profiles: anyone can copy a key from a web page. Use a server key, or a "
                "customer-token key with a token from your back end."
            )
        return
    if not token:
        raise _refused(
            f"This browser key needs a customer token in the {CUSTOMER_TOKEN_HEADER} header, "
            "minted by your back end for the signed-in customer."
        )
    if not _same_customer(_token_customer(key, token), ref):
        raise _refused("The customer token is for another customer.")
