"""The Intilery Profiles API client: the one way the app talks to the upstream.

See docs/client-interface.md. Import from here, never from the modules inside.
"""

from profileviewer.client.cache import SingleFlight
from profileviewer.client.client import ProfilesClient, get_client, reset_client_state
from profileviewer.client.config import ClientConfig
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
from profileviewer.client.retry import RetryPolicy
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
    "ClientConfig",
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
    "ProfilesClient",
    "ProtocolError",
    "RateLimitError",
    "RetryPolicy",
    "SingleFlight",
    "Traits",
    "UnavailableError",
    "ValidationError",
    "error_from_response",
    "get_client",
    "reset_client_state",
]
