"""The export runs against the sandbox over real HTTP (live server), with its limits lifted so
the suite stays quick; the rate-share behaviour has its own test."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from django.test import override_settings

from profileviewer.client.client import ProfilesClient, reset_client_state
from profileviewer.client.config import ClientConfig


@pytest.fixture
def sandbox_url(live_server, transactional_db) -> Iterator[str]:
    reset_client_state()
    url = live_server.url + "/sandbox"
    with override_settings(
        INTILERY_API_URL=url,
        SANDBOX_RATE_LIMIT_ENABLED=False,
        INTILERY_RATE_LIMIT=10_000,
        INTILERY_RATE_BURST=10_000,
        INTILERY_CALL_BUDGET=20,
        INTILERY_READ_TIMEOUT=20,
    ):
        yield url
    reset_client_state()


@pytest.fixture
def client(sandbox_url) -> ProfilesClient:
    return ProfilesClient(dataclasses.replace(ClientConfig.from_settings(), cache_ttl=0))
