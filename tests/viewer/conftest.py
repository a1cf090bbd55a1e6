"""Personas and customers for the viewer's tests.

Agents: alice (active), bob (deactivated by an admin). Customers, written through the
sandbox store and served by the sandbox on a live server (the real client, real HTTP):
Joe Bloggs (a rich journey), the two Sam Taylors sharing one email, a guest known only by
email, Priya (`acct/00042`, a `/` in her id) and a brand-new sign-up with no events.
Error kinds the sandbox cannot produce on demand come from `StubClient`, put in place
through the viewer's one seam, `profileviewer.viewer.services.client`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.signals import request_started
from django.test import Client, override_settings
from django.utils import timezone

from profileviewer import parallel
from profileviewer.client import EventPage, EventQuery, IntileryError, Meta
from profileviewer.client.client import reset_client_state
from profileviewer.client.types import read_event_page
from profileviewer.sandbox.models import Profile
from profileviewer.sandbox.store import NewEvent, add_events, create_profile
from tests.masking.roles import give_role

JOE = "userId:qrc-117322"
SOMEONE = Meta.from_json({"id": "9d1c0c53-0000-4000-8000-000000000001", "firstName": "Someone"})
HTMX = {"HTTP_HX_REQUEST": "true"}


def product(pid: str, name: str, price: float) -> dict[str, Any]:
    return {
        "product_id": pid,
        "name": name,
        "price": price,
        "currency": "GBP",
        "category": "Jackets",
        "image_url": f"/sandbox/products/{pid}.svg",
        "url": f"https://shop.example.com/p/{pid}",
    }


def joe_events(now: datetime) -> list[NewEvent]:
    # The run of page views sits at noon three days ago, so it never straddles midnight.
    noon = timezone.localtime(now).replace(hour=12, minute=0) - timedelta(days=3)
    return [
        NewEvent("registered", now - timedelta(days=40), {"method": "google", "referrer": ""}),
        *[
            NewEvent(
                "page_viewed",
                noon + timedelta(minutes=i),
                {"url": f"https://shop.example.com/c/{i}", "path": f"/c/{i}", "title": f"Page {i}"},
            )
            for i in range(5)
        ],
        NewEvent("product_viewed", now - timedelta(days=2), product("SKU-1", "Rain Jacket", 89.5)),
        NewEvent("product_viewed", now - timedelta(days=2, hours=1), product("SKU-2", "Hat", 19)),
        NewEvent(
            "order_completed",
            now - timedelta(days=1),
            {
                "order_id": "NW-1001",
                "total": 19.0,
                "currency": "GBP",
                "item_count": 1,
                "items": [{"product_id": "SKU-2", "name": "Hat", "price": 19, "quantity": 1}],
                "shipping": "standard",
                "discount_code": "",
            },
        ),
        NewEvent(
            "email_opened",
            now - timedelta(minutes=1),
            {"email_id": "E-1", "email_subject": "Stay dry this winter", "campaign_id": "NL-155"},
        ),
    ]


def seed_customers(now: datetime) -> dict[str, Profile]:
    joe = create_profile(
        external_id="qrc-117322",
        email="joe.bloggs@example.com",
        first_name="Joe",
        last_name="Bloggs",
        phone="+44 7700 900123",
        website="www.intilery.com",
        organisation="Intilery",
        industry="Other",
        subscribed={"email": True, "sms": True},
        custom_traits={"plan": "pro", "preferences": {"sizes": ["L"]}},
        audiences=["vip_customers", "newsletter"],
        created_by={
            "filename": "staff listaug20.csv",
            "createdTime": "2025-06-01T10:00:00.000Z",
            "type": "audience-csv",
        },
    )
    add_events(joe, joe_events(now))
    customers = {"joe": joe}
    for suffix in ("uk", "us"):
        sam = create_profile(
            external_id=f"sam-taylor-{suffix}",
            email="sam.taylor@example.com",
            first_name="Sam",
            last_name="Taylor",
        )
        add_events(sam, [NewEvent("logged_in", now - timedelta(days=3), {"method": "password"})])
        customers[f"sam_{suffix}"] = sam
    customers["guest"] = create_profile(email="guest.shopper@example.com")
    priya = create_profile(external_id="acct/00042", email="priya@example.com", first_name="Priya")
    add_events(priya, [NewEvent("logged_in", now - timedelta(days=200), {"method": "password"})])
    customers["priya"] = priya
    customers["new"] = create_profile(external_id="new-signup-1", first_name="Nia")
    return customers


@pytest.fixture
def alice(db: None) -> User:
    """In both roles, so nothing is masked for her (tests/masking has one role each)."""
    user = User.objects.create_user("alice", password="alice-password-1", first_name="Alice")
    return give_role(give_role(user, "support"), "sales")


@pytest.fixture
def bob(db: None) -> User:
    return User.objects.create_user("bob", password="bob-password-1", is_active=False)


@pytest.fixture
def agent(alice: User) -> Client:
    """Alice's browser, signed in."""
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def upstream(live_server: Any, transactional_db: None) -> Iterator[dict[str, Profile]]:
    """The sandbox with our customers, as the viewer's upstream over real HTTP."""
    reset_client_state()
    cache.clear()
    customers = seed_customers(timezone.now())
    with override_settings(
        INTILERY_API_URL=live_server.url + "/sandbox", VIEWER_LIVE_POLL_SECONDS=15
    ):
        yield customers
        # The profile page's warm-up may still be reading from the sandbox: let it finish
        # before the server and the database go.
        assert parallel.wait_idle(), "background reads still running 10 s after the test"
    reset_client_state()
    cache.clear()


@pytest.fixture
def upstream_requests() -> Iterator[list[str]]:
    """Every request the sandbox receives (path and query): the viewer's upstream calls."""
    seen: list[str] = []

    def record(sender: Any, environ: dict[str, Any] | None = None, **kwargs: Any) -> None:
        environ = environ or {}
        path = environ.get("PATH_INFO", "")
        if path.startswith("/sandbox/"):
            seen.append(f"{path}?{environ.get('QUERY_STRING', '')}")

    request_started.connect(record, weak=False, dispatch_uid="viewer-tests-upstream-requests")
    yield seen
    request_started.disconnect(dispatch_uid="viewer-tests-upstream-requests")


def asked_for(requests: list[str], endpoint: str, *params: str) -> list[str]:
    """The upstream requests to one endpoint (`meta`, `traits`, `events`) with these query
    parameters (`size=50`)."""
    return [
        request
        for request in list(requests)
        if request.split("?")[0].endswith("/" + endpoint)
        and all(param in request.split("?")[1].split("&") for param in params)
    ]


def event_json(
    action: str, when: datetime, *, event_id: str = "e", **properties: Any
) -> dict[str, Any]:
    """One event as the Profiles API sends it (PAPI-16)."""
    return {
        "eventId": event_id,
        "eventAction": action,
        "eventTime": when.isoformat(),
        "source": "test",
        "rawData": {"event": action, "properties": properties},
    }


def answering_events(*items: dict[str, Any]) -> Callable[..., EventPage]:
    """A stub `events` answer: these events (API JSON, newest first), paged as asked and
    read by the client's own decoder, so `raw=True` gives each its JSON as the client does."""

    def events(
        ref: Any,
        query: EventQuery | None = None,
        *,
        offset: int = 0,
        size: int = 100,
        fresh: bool = False,
        raw: bool = False,
        properties: bool = True,
    ) -> EventPage:
        body = json.dumps({"data": list(items[offset : offset + size])}).encode()
        found, scroll_id = read_event_page(body, raw=raw, properties=properties)
        return EventPage(found, offset, size, scroll_id)

    return events


NO_EVENTS = answering_events()


class StubClient:
    """Stands in for the real client: each method raises `error` or returns what it is given
    (a value, or a callable given the call's arguments).

    Without a `meta` answer, `meta` answers that a customer exists: every panel first checks
    that (services.require_customer) before its own calls. The stub shares nothing between
    calls (no cache, no single flight): it counts every read a caller asks for.
    """

    def __init__(self, error: IntileryError | None = None, **results: Any) -> None:
        self.error = error
        self.results = {"meta": [SOMEONE], **results}
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def called(self, name: str) -> int:
        return sum(1 for call in list(self.calls) if call[0] == name)

    def names(self) -> set[str]:
        return {call[0] for call in list(self.calls)}

    def _answer(self, name: str, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((name, args, kwargs))
        if self.error is not None:
            raise self.error
        result = self.results[name]
        return result(*args, **kwargs) if callable(result) else result

    def traits(self, *args: Any, **kwargs: Any) -> Any:
        return self._answer("traits", *args, **kwargs)

    def meta(self, *args: Any, **kwargs: Any) -> Any:
        return self._answer("meta", *args, **kwargs)

    def events(
        self,
        ref: Any,
        query: EventQuery = EventQuery(),  # noqa: B008 - frozen
        *,
        offset: int = 0,
        size: int = 100,
        fresh: bool = False,
        raw: bool = False,
        properties: bool = True,
    ) -> Any:
        return self._answer(
            "events",
            ref,
            query,
            offset=offset,
            size=size,
            fresh=fresh,
            raw=raw,
            properties=properties,
        )


@dataclass
class Stubber:
    monkeypatch: pytest.MonkeyPatch

    def __call__(self, error: IntileryError | None = None, **results: Any) -> StubClient:
        stub = StubClient(error, **results)
        self.monkeypatch.setattr("profileviewer.viewer.services.client", lambda: stub)
        return stub


@pytest.fixture
def stub_client(monkeypatch: pytest.MonkeyPatch) -> Callable[..., StubClient]:
    """Replace the viewer's client with a stub: `stub_client(NotFoundError(...))`."""
    return Stubber(monkeypatch)


@pytest.fixture(autouse=True)
def _warm_ups_end_with_the_test(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A profile page starts its panels' reads in the background (services.warm_panels), as
    in production. They end before this test's stub goes (the monkeypatch is undone after
    this fixture), so none reaches the real client or the next test."""
    yield
    assert parallel.wait_idle(), "background reads still running 10 s after the test"
