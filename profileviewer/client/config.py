"""The client's configuration, read from the ``INTILERY_*`` and ``REDIS_URL`` settings."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.conf import settings


@dataclass(frozen=True)
class ClientConfig:
    base_url: str
    client_id: str
    account_id: str
    brand_id: str
    # The shared secret (PAPI-6): kept out of repr so it never lands in a log or a traceback.
    api_token: str = field(repr=False)
    connect_timeout: float = 2.0
    read_timeout: float = 5.0
    call_budget: float = 3.0
    max_retry_after: float = 2.0
    rate_limit: float = 100.0
    rate_burst: int = 500
    cache_ttl: int = 15
    max_response_bytes: int = 10_000_000
    redis_url: str | None = field(default=None, repr=False)
    # The fraction of the shared bucket this caller may drain; a bulk export sets less than 1
    # so interactive look-ups keep the rest.
    rate_share: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if not 0 < self.rate_share <= 1:
            raise ValueError("rate_share must be in (0, 1]")

    @classmethod
    def from_settings(cls) -> ClientConfig:
        return cls(
            base_url=settings.INTILERY_API_URL,
            client_id=settings.INTILERY_CLIENT_ID,
            account_id=settings.INTILERY_ACCOUNT_ID,
            brand_id=settings.INTILERY_BRAND_ID,
            api_token=settings.INTILERY_API_TOKEN,
            connect_timeout=float(settings.INTILERY_CONNECT_TIMEOUT),
            read_timeout=float(settings.INTILERY_READ_TIMEOUT),
            call_budget=float(settings.INTILERY_CALL_BUDGET),
            max_retry_after=float(settings.INTILERY_MAX_RETRY_AFTER),
            rate_limit=float(settings.INTILERY_RATE_LIMIT),
            rate_burst=int(settings.INTILERY_RATE_BURST),
            cache_ttl=int(settings.INTILERY_CACHE_TTL),
            max_response_bytes=int(settings.INTILERY_MAX_RESPONSE_BYTES),
            redis_url=getattr(settings, "REDIS_URL", None) or None,
        )

    @property
    def tenant_path(self) -> str:
        """``/{clientId}/{accountId}/{brandId}/v1`` (PAPI-1)."""
        return f"/{self.client_id}/{self.account_id}/{self.brand_id}/v1"

    @property
    def key_fingerprint(self) -> str:
        """A stable name for the API key (shared bucket, cache keys) that does not reveal it."""
        return hashlib.sha256(f"pv-client:{self.api_token}".encode()).hexdigest()[:16]
