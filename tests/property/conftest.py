"""One stub upstream for every surface, answering at once, so thousands of requests fit in a
minute; each example chooses how it answers (one customer, several, nobody, a failure)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from profileviewer import parallel
from profileviewer.client import (
    IntileryError,
    Meta,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    UnavailableError,
)
from tests.viewer.conftest import (  # noqa: F401 (fixtures)
    StubClient,
    agent,
    alice,
    answering_events,
    event_json,
    product,
)

UPSTREAM_MODES = ("one", "several", "nobody", "down", "busy", "unreadable")
FAILING_MODES = ("down", "busy", "unreadable")
EVENT_IDS = ("e1", "e2", "e3", "e4", "e5", "e6")


def customer_meta(n: int) -> Meta:
    return Meta.from_json(
        {
            "id": f"9d1c0c53-0000-4000-8000-00000000000{n}",
            "externalId": f"ext-{n}",
            "email": "sam.taylor@example.com",
            "firstName": "Sam",
            "phone": "+44 7700 900123",
            "website": "www.example.com",
            "marketingPreferences": {"channels": [{"channel": "email", "subscribed": True}]},
        }
    )


def some_events() -> Any:
    """A short journey around now: a run of views, a product, an order, an email."""
    now = timezone.now()
    views = [
        event_json("page_viewed", now - timedelta(hours=3, minutes=i), event_id=f"e{i + 1}")
        for i in range(3)
    ]
    return answering_events(
        event_json("email_opened", now - timedelta(minutes=5), event_id="e4", email_id="E-1"),
        *views,
        event_json(
            "product_viewed",
            now - timedelta(days=2),
            event_id="e5",
            **product("SKU-1", "Rain Jacket", 89.5),
        ),
        event_json(
            "order_completed",
            now - timedelta(days=40),
            event_id="e6",
            order_id="O-1",
            total=19.0,
            currency="GBP",
            items=[{"product_id": "SKU-2", "name": "Hat", "price": 19, "quantity": 1}],
        ),
    )


def stub_for(mode: str) -> StubClient:
    errors: dict[str, IntileryError] = {
        "nobody": NotFoundError("no such profile", request_id="r-404"),
        "down": UnavailableError("down", request_id="r-503", http_status=503),
        "busy": RateLimitError("slow down", request_id="r-429", retry_after=2),
        "unreadable": ProtocolError("not JSON", request_id="r-bad"),
    }
    if mode in errors:
        return StubClient(errors[mode])
    metas = [customer_meta(1)] if mode == "one" else [customer_meta(1), customer_meta(2)]
    return StubClient(meta=metas, traits=[m.traits for m in metas], events=some_events())


@dataclass
class Upstream:
    """What the viewer, the embed and the API read through; a new answer per example."""

    stub: StubClient = field(default_factory=lambda: stub_for("one"))

    def answer(self, mode: str) -> None:
        self.stub = stub_for(mode)


@pytest.fixture(autouse=True)
def _unlimited_agents(settings: Any) -> None:
    """Thousands of requests from one agent in a minute: each must reach its view, not the
    agent's rate limit (tested on its own in tests/viewer/test_agent_limits.py)."""
    settings.AGENT_RATE = settings.AGENT_FRESH_RATE = 1_000_000
    settings.AGENT_BURST = settings.AGENT_FRESH_BURST = 1_000_000


@pytest.fixture
def upstream(monkeypatch: pytest.MonkeyPatch) -> Iterator[Upstream]:
    upstream = Upstream()
    monkeypatch.setattr("profileviewer.viewer.services.client", lambda: upstream.stub)
    monkeypatch.setattr("profileviewer.api.views.get_client", lambda: upstream.stub)
    yield upstream
    # A profile page's warm-up may still be reading from the stub: not past this test.
    assert parallel.wait_idle(), "background reads still running 10 s after the test"


def settle() -> None:
    """Let an example's background reads (a page's warm-up) end before the next example."""
    assert parallel.wait_idle(), "background reads still running 10 s after the request"
