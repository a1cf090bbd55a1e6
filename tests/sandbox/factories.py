"""Helpers for the sandbox contract tests: an HTTP client for the live sandbox and data.

Contract tests talk to the sandbox over real HTTP (pytest-django's live server) with
`requests`, exactly as an integration would, and build their data through `store.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
import requests

from profileviewer.sandbox.models import Profile
from profileviewer.sandbox.store import NewEvent, add_events, create_profile

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
TOKEN = "sandbox-token"
TENANT = ("demo", "demo", "DEMO")
JSON_HEADERS = {"content-type": "application/json", "auth-token": TOKEN}


def segment(ref: str) -> str:
    """`userId:a/b` -> `userId:a%2Fb`: the type as is, the id percent-encoded (PAPI-2)."""
    id_type, _, value = ref.partition(":")
    return f"{id_type}:{quote(value, safe='')}"


class SandboxAPI:
    """The live sandbox, called the way an Intilery integration calls the real API."""

    def __init__(self, server_url: str) -> None:
        self.root = f"{server_url}/sandbox"
        self.session = requests.Session()

    def profiles_url(self, tenant: tuple[str, str, str] = TENANT) -> str:
        return f"{self.root}/{'/'.join(tenant)}/v1/profiles"

    def call(
        self,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        method: str = "GET",
        data: bytes | None = None,
        replace_headers: bool = False,
        stream: bool = False,
    ) -> requests.Response:
        sent = dict(headers or {}) if replace_headers else {**JSON_HEADERS, **(headers or {})}
        return self.session.request(
            method, url, params=params, headers=sent, data=data, timeout=30, stream=stream
        )

    def profile(self, ref: str, endpoint: str, **kwargs: Any) -> requests.Response:
        """GET .../v1/profiles/{ref}/{endpoint}, the ref percent-encoded like a client does."""
        return self.call(f"{self.profiles_url()}/{segment(ref)}/{endpoint}", **kwargs)

    def raw_profile(self, raw_segment: str, endpoint: str, **kwargs: Any) -> requests.Response:
        """The same with a path segment sent exactly as given."""
        return self.call(f"{self.profiles_url()}/{raw_segment}/{endpoint}", **kwargs)

    def events(self, ref: str, **params: Any) -> requests.Response:
        return self.profile(ref, "events", params=params)

    def listing(self, **params: Any) -> requests.Response:
        return self.call(self.profiles_url(), params=params)


@pytest.fixture(name="api")
def api_fixture(live_server: Any) -> Iterator[SandboxAPI]:
    """The live sandbox; test modules import this fixture (`api_fixture`) to use `api`."""
    client = SandboxAPI(live_server.url)
    yield client
    client.session.close()


def assert_error(response: requests.Response, status: int, code: str) -> str:
    """The response is the JSON error of PAPI-19/20 with a request id; returns the message."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    uuid.UUID(response.headers["x-amzn-RequestId"])
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    return body["error"]["message"]


def make_profile(**fields: Any) -> Profile:
    return create_profile(created_time=fields.pop("created_time", T0), **fields)


def add_series(
    profile: Profile,
    action: str,
    count: int,
    *,
    start: datetime = T0,
    step: timedelta = timedelta(minutes=1),
    properties: dict[str, Any] | None = None,
) -> None:
    """`count` events of one action, `step` apart from `start`."""
    add_events(
        profile,
        [
            NewEvent(action, start + step * index, {**(properties or {}), "n": index})
            for index in range(count)
        ],
    )
