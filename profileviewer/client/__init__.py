"""The Intilery Profiles API client: the one way the app talks to the upstream.

See docs/client-interface.md. Import from here, never from the modules inside.
"""

from profileviewer.client.errors import (
    AuthenticationError,
    IntileryError,
    InvalidRequestError,
    NotFoundError,
    ProfileRefError,
    ProtocolError,
    RateLimitError,
    UnavailableError,
    ValidationError,
    error_from_response,
)
from profileviewer.client.refs import IdType, ProfileRef
from profileviewer.client.types import (
    EVENT_WINDOW,
    MAX_PAGE_SIZE,
    ChannelPreference,
    CreatedBy,
    Event,
    EventPage,
    EventQuery,
    ExternalId,
    Meta,
    ProfileListPage,
    Traits,
)

__all__ = [
    "EVENT_WINDOW",
    "MAX_PAGE_SIZE",
    "AuthenticationError",
    "ChannelPreference",
    "CreatedBy",
    "Event",
    "EventPage",
    "EventQuery",
    "ExternalId",
    "IdType",
    "IntileryError",
    "InvalidRequestError",
    "Meta",
    "NotFoundError",
    "ProfileListPage",
    "ProfileRef",
    "ProfileRefError",
    "ProtocolError",
    "RateLimitError",
    "Traits",
    "UnavailableError",
    "ValidationError",
    "error_from_response",
]
