"""Real Chromium (Debian's, through Playwright) against a live server seeded with demo data.

Every page a test opens is watched for Content-Security-Policy violations and script errors;
a test fails at teardown if any appeared, so a strict CSP stays strict.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import override_settings

from profileviewer import parallel
from profileviewer.client.client import reset_client_state
from tests.masking.roles import give_role

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AGENT = ("carol", "carol-password-1")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # between browser steps are still plain synchronous ones.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Viewer:
    """A signed-in agent's browser tab on the live server."""

    url: str
    page: Any
    problems: list[str] = field(default_factory=list)

    def open(self, path: str) -> None:
        self.page.goto(self.url + path)


@pytest.fixture
def demo_large_profiles() -> int:
    """How many of the large demo heroes to seed (Priya Shah, then Alex Morgan): none unless a
    test asks, with `@pytest.mark.parametrize("demo_large_profiles", [1])`, as they are slow."""
    return 0


@pytest.fixture
def demo_upstream(
    live_server: Any, transactional_db: None, demo_large_profiles: int
) -> Iterator[str]:
    from profileviewer.sandbox.demo import seed

    reset_client_state()
    cache.clear()
    seed(profiles=6, seed=42, large_profiles=demo_large_profiles)
    # Both roles, so nothing is masked (tests/masking checks what each role sees).
    agent = User.objects.create_user(AGENT[0], password=AGENT[1])
    give_role(give_role(agent, "support"), "sales")
    with override_settings(
        INTILERY_API_URL=live_server.url + "/sandbox", VIEWER_LIVE_POLL_SECONDS=15
    ):
        yield live_server.url
        # A profile page's warm-up may still be reading: let it end before the server goes.
        assert parallel.wait_idle(), "background reads still running 10 s after the test"
    reset_client_state()
    cache.clear()


def _sign_in(page: Any, url: str) -> None:
    from playwright.sync_api import expect

    page.goto(url + "/accounts/login/")
    page.get_by_label("Username").fill(AGENT[0])
    page.get_by_label("Password").fill(AGENT[1])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Find a customer")).to_be_visible()


def _watch(page: Any, problems: list[str]) -> None:
    def on_console(message: Any) -> None:
        text = message.text
        # A "no customer found" page is a deliberate 404 of the document itself.
        if text.startswith("Failed to load resource") and message.location["url"] == page.url:
            return
        if message.type == "error" or "Content Security Policy" in text or "Refused" in text:
            problems.append(f"console {message.type}: {text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))


def make_viewer(
    chromium: Any, url: str, *, width: int = 1280, height: int = 900, scheme: str = "light"
) -> tuple[Any, Viewer]:
    context = chromium.new_context(
        viewport={"width": width, "height": height},
        color_scheme=scheme,
        timezone_id="Europe/London",
        locale="en-GB",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    viewer = Viewer(url, page)
    _watch(page, viewer.problems)
    _sign_in(page, url)
    return context, viewer


@pytest.fixture
def viewer(chromium: Any, demo_upstream: str) -> Iterator[Viewer]:
    context, tab = make_viewer(chromium, demo_upstream)
    yield tab
    context.close()
    assert tab.problems == [], "CSP violations or script errors in the browser console"


@pytest.fixture
def narrow_viewer(chromium: Any, demo_upstream: str) -> Iterator[Viewer]:
    context, tab = make_viewer(chromium, demo_upstream, width=320, height=700)
    yield tab
    context.close()
    assert tab.problems == [], "CSP violations or script errors in the browser console"
