"""Pages with customer data are never kept: after sign-out, the back button or a shared
computer's cache must not show a customer. Static files keep their long caching."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.test import Client

from tests.viewer.conftest import HTMX, JOE

PANELS = ["summary", "traits", "meta", "activity", "viewed-not-bought", "timeline"]


def cache_directives(response: Any) -> set[str]:
    return {part.strip().lower() for part in response.get("Cache-Control", "").split(",")}


def assert_never_kept(response: Any, what: str) -> None:
    directives = cache_directives(response)
    assert {"private", "no-store"} <= directives, (what, response.get("Cache-Control"))
    assert "public" not in directives, what


@pytest.mark.parametrize("panel", PANELS)
def test_a_panel_is_never_kept_as_a_page_or_as_a_fragment(
    agent: Client, upstream: Any, panel: str
) -> None:
    page = agent.get(f"/profile/{panel}", {"ref": JOE})
    fragment = agent.get(f"/profile/{panel}", {"ref": JOE}, **HTMX)
    assert page.status_code == fragment.status_code == 200
    assert_never_kept(page, f"{panel} page")
    assert_never_kept(fragment, f"{panel} fragment")


def test_the_profile_page_its_header_and_the_look_up_are_never_kept(
    agent: Client, upstream: Any
) -> None:
    answers = {
        "profile page": agent.get("/profile", {"ref": JOE}),
        "profile body": agent.get("/profile", {"ref": JOE}, **HTMX),
        "header": agent.get("/profile/header", {"ref": JOE}, **HTMX),
        "look-up list": agent.get("/lookup", {"q": "sam.taylor@example.com"}),
        "look-up miss": agent.get("/lookup", {"q": "nobody@example.com"}),
        "bad reference": agent.get("/profile", {"ref": "userId:\x01"}),
        "search page": agent.get("/"),
    }
    for what, response in answers.items():
        assert response.status_code < 500, what
        assert_never_kept(response, what)


def test_a_raw_event_and_the_timelines_next_page_are_never_kept(
    agent: Client, upstream: Any
) -> None:
    timeline = agent.get("/profile/timeline", {"ref": JOE}, **HTMX).content.decode()
    link = re.search(r'<a class="raw" href="([^"]+)"', timeline)
    assert link is not None
    assert_never_kept(agent.get(unescape(link.group(1))), "raw event page")
    assert_never_kept(agent.get(unescape(link.group(1)), **HTMX), "raw event fragment")
    more = agent.get("/profile/timeline", {"ref": JOE, "more": "1", "offset": "50"}, **HTMX)
    assert_never_kept(more, "next timeline page")


def test_static_files_keep_their_long_caching(client: Client) -> None:
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    directives = cache_directives(response)
    assert "no-store" not in directives
    assert any(d.startswith("max-age=") and int(d.split("=")[1]) > 0 for d in directives)
    # The same for everyone: no request id to trace (every other answer has one).
    assert "X-Request-Id" not in response
    assert client.get("/accounts/login/")["X-Request-Id"]
