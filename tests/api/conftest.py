"""Personas and data for the API tests: a running app (live server) whose upstream is the sandbox.

Personas: the web shop's key and the CRM's key (server keys, generous limits), the storefront's
browser key (CORS origins, summary and recommendations only), a revoked key. Customers: Joe
(views and orders), Priya (``acct/00042``, a ``/`` in her id), and Sam (two profiles sharing
one email).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.test import override_settings
from django.utils import timezone

from profileviewer.api import ratelimit
from profileviewer.api.keys import create_service_key
from profileviewer.api.models import Access
from profileviewer.client.client import reset_client_state
from profileviewer.sandbox.store import NewEvent, add_events, create_profile

STOREFRONT = "https://shop.example.com"


def product(pid: str, name: str, price: float) -> dict:
    return {
        "product_id": pid,
        "name": name,
        "price": price,
        "currency": "GBP",
        "category": "Outerwear",
        "image_url": f"/sandbox/products/{pid}.svg",
        "url": f"https://shop.example.com/p/{pid}",
    }


def seed_customers(now: datetime) -> None:
    joe = create_profile(
        external_id="qrc-117322",
        email="joe.bloggs@example.com",
        first_name="Joe",
        last_name="Bloggs",
        organisation="Intilery",
        subscribed={"email": True, "sms": True},
        custom_traits={"plan": "pro"},
        audiences=["vip_customers"],
    )
    add_events(
        joe,
        [
            NewEvent(
                "product_viewed", now - timedelta(days=6), product("SKU-1", "Rain Jacket", 89.5)
            ),
            NewEvent("product_viewed", now - timedelta(days=5), product("SKU-2", "Wool Hat", 19)),
            NewEvent("product_viewed", now - timedelta(days=2), product("SKU-3", "Boots", 120)),
            NewEvent(
                "order_completed",
                now - timedelta(days=1),
                {
                    "order_id": "O-1",
                    "total": 19.0,
                    "currency": "GBP",
                    "item_count": 1,
                    "items": [
                        {"product_id": "SKU-2", "name": "Wool Hat", "price": 19, "quantity": 1}
                    ],
                },
            ),
            *[
                NewEvent("email_sent", now - timedelta(days=10 + i), {"email_id": f"E{i}"})
                for i in range(4)
            ],
            NewEvent("email_opened", now - timedelta(days=9), {"email_id": "E0"}),
        ],
    )
    priya = create_profile(external_id="acct/00042", email="priya@example.com", first_name="Priya")
    add_events(priya, [NewEvent("logged_in", now - timedelta(days=200), {"method": "password"})])
    for suffix in ("uk", "us"):
        sam = create_profile(external_id=f"sam-taylor-{suffix}", email="sam.taylor@example.com")
        add_events(sam, [NewEvent("logged_in", now - timedelta(days=3), {"method": "google"})])


@dataclass
class Api:
    url: str
    shop_token: str
    crm_token: str
    storefront_token: str
    revoked_token: str

    def get(self, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return requests.get(self.url + path, headers=headers, timeout=10, **kwargs)


@pytest.fixture
def api(live_server, transactional_db) -> Iterator[Api]:
    reset_client_state()
    ratelimit.reset()
    seed_customers(timezone.now())
    _, shop = create_service_key("web shop", rate_limit=1000, rate_burst=1000)
    _, crm = create_service_key("crm", rate_limit=1000, rate_burst=1000)
    _, storefront = create_service_key(
        "storefront",
        rate_limit=1000,
        rate_burst=1000,
        allowed_origins=STOREFRONT,
        access=Access.NON_IDENTIFYING,
    )
    _, revoked = create_service_key("old integration", revoked_at=datetime(2026, 1, 1, tzinfo=UTC))
    with override_settings(INTILERY_API_URL=live_server.url + "/sandbox"):
        yield Api(live_server.url, shop, crm, storefront, revoked)
    reset_client_state()
    ratelimit.reset()


@pytest.fixture
def logged() -> Iterator[list[str]]:
    """Every log line any logger writes during the test (ours do not propagate to the root)."""
    lines: list[str] = []
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(formatter.format(record))

    handler = Collect(logging.DEBUG)
    loggers = [logging.getLogger(name) for name in ("", "profileviewer", "django")]
    for logger in loggers:
        logger.addHandler(handler)
    yield lines
    for logger in loggers:
        logger.removeHandler(handler)


def assert_never_shown(secrets: list[str], responses: list[requests.Response], logs: list[str]):
    """None of `secrets` in any response's body or headers, or in any log line."""
    for secret in secrets:
        for response in responses:
            assert secret not in response.text
            assert secret not in str(response.headers)
        assert not [line for line in logs if secret in line]
