"""The one place a client error becomes what the agent reads in the panel that failed.

Each message is short, says what to do next, and carries the upstream request id so the
agent can quote it to support. A misconfigured key is also logged loudly for the admin.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Literal

from profileviewer.client import (
    AuthenticationError,
    IntileryError,
    InvalidRequestError,
    NotFoundError,
    ProfileRefError,
    ProtocolError,
    RateLimitError,
    UnavailableError,
)

logger = logging.getLogger("profileviewer.viewer")

ErrorKind = Literal[
    "bad_input",
    "not_found",
    "not_allowed",
    "rate_limited",
    "slow_down",
    "unavailable",
    "misconfigured",
    "protocol",
    "failed",
]
# Retry a rate-limited panel after this long when the upstream did not say.
DEFAULT_RETRY_SECONDS = 3
MAX_RETRY_SECONDS = 60


@dataclass(frozen=True)
class AgentError:
    kind: ErrorKind
    title: str
    detail: str
    request_id: str | None = None
    retry_in: int | None = None  # seconds before the panel retries itself
    status: int = 200  # for a full-page (non-htmx) response

    @property
    def retries(self) -> bool:
        return self.retry_in is not None


def _log_refusal(what: str, where: str, error: IntileryError) -> None:
    """The upstream's own message may quote the customer's reference: only at DEBUG."""
    logger.warning(
        what + " (HTTP %s, upstream req %s)",
        where or "a panel",
        error.http_status,
        error.request_id or "-",
    )
    logger.debug("The Profiles API said: %s", error.message)


def agent_error(error: IntileryError, *, where: str = "") -> AgentError:
    """What to tell the agent about `error` (and the admin, for a broken configuration)."""
    request_id = error.request_id
    if isinstance(error, ProfileRefError):
        return AgentError("bad_input", "Check the search", error.message, None, status=400)
    if isinstance(error, NotFoundError):
        return AgentError(
            "not_found",
            "No customer found",
            "No customer has that id or email any more.",
            request_id,
            status=404,
        )
    if isinstance(error, RateLimitError):
        wait = error.retry_after if error.retry_after is not None else DEFAULT_RETRY_SECONDS
        seconds = min(MAX_RETRY_SECONDS, max(1, math.ceil(wait)))
        return AgentError(
            "rate_limited",
            "Busy",
            f"The customer database is busy, retrying in {seconds} s.",
            request_id,
            retry_in=seconds,
            status=429,
        )
    if isinstance(error, AuthenticationError):
        # Never log the token: the error's own str() holds only the id and message.
        logger.error(
            "The Profiles API rejected our credentials while loading %s (%s): check "
            "INTILERY_API_TOKEN and the client, account and brand ids.",
            where or "a panel",
            error,
        )
        return AgentError(
            "misconfigured",
            "Viewer misconfigured",
            "The viewer cannot sign in to the customer database. Your admin has been told.",
            request_id,
            status=502,
        )
    if isinstance(error, UnavailableError):
        logger.warning("Profiles API unavailable while loading %s: %s", where or "a panel", error)
        return AgentError(
            "unavailable",
            "Customer database unavailable",
            "It is not answering right now; try again in a minute.",
            request_id,
            status=503,
        )
    if isinstance(error, ProtocolError):
        logger.warning("Unreadable Profiles API answer for %s: %s", where or "a panel", error)
        return AgentError(
            "protocol",
            "Unreadable answer",
            "The customer database sent something we could not read; try again.",
            request_id,
            status=502,
        )
    if isinstance(error, InvalidRequestError):
        _log_refusal("Profiles API refused a request for %s", where, error)
        return AgentError(
            "bad_input",
            "Request refused",
            error.message,
            request_id,
            status=400,
        )
    _log_refusal("Profiles API call failed for %s", where, error)
    return AgentError("failed", "Could not load", error.message, request_id, status=502)


def input_error(message: str, *, title: str = "Check the filters") -> AgentError:
    """Our own check of the agent's input failed before any call."""
    return AgentError("bad_input", title, message, None, status=400)


def slow_down_error(wait: float) -> AgentError:
    """This agent asked faster than their allowance (agents/limits.py); the panel retries
    itself once a request is allowed again."""
    seconds = min(MAX_RETRY_SECONDS, max(1, math.ceil(wait)))
    return AgentError(
        "slow_down",
        "Slow down",
        f"Too many requests from you just now; retrying in {seconds} s.",
        retry_in=seconds,
        status=429,
    )


def live_slowed_error() -> AgentError:
    """The live poll past the agent's allowance for fresh reads: each poll reads afresh, so
    polling stops until the agent reloads the page."""
    return AgentError(
        "slow_down",
        "Slow down",
        "You asked for fresh data too often; reload the page in a minute to resume them.",
        status=429,
    )


def not_allowed_error(what: str) -> AgentError:
    """The agent's role does not include this (profileviewer/masking): no retry will help."""
    return AgentError(
        "not_allowed",
        "Not shown to your role",
        f"Your role does not include {what}; an administrator can grant it.",
        status=403,
    )
