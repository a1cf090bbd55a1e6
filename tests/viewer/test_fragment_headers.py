"""Document-only security headers: on every page, never on the htmx fragments swapped into it."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.viewer.conftest import HTMX, JOE

DOCUMENT_ONLY = (
    "Content-Security-Policy",
    "X-Frame-Options",
    "Cross-Origin-Opener-Policy",
    "Referrer-Policy",
)
PANELS = ["summary", "traits", "meta", "activity", "viewed-not-bought", "timeline"]


def test_the_profile_page_keeps_every_document_header(agent: Client, upstream) -> None:
    response = agent.get("/profile", {"ref": JOE})
    assert response.status_code == 200
    for header in DOCUMENT_ONLY:
        assert response.has_header(header), header
    assert "frame-ancestors" in response["Content-Security-Policy"]


@pytest.mark.parametrize("panel", PANELS)
def test_a_panel_opened_as_a_page_keeps_them_and_its_fragment_drops_them(
    agent: Client, upstream, panel: str
) -> None:
    page = agent.get(f"/profile/{panel}", {"ref": JOE})
    fragment = agent.get(f"/profile/{panel}", {"ref": JOE}, **HTMX)
    assert page.status_code == fragment.status_code == 200
    for header in DOCUMENT_ONLY:
        assert page.has_header(header), header
        assert not fragment.has_header(header), header
    # nosniff applies to any response, and the two answers must never be cached as one.
    assert fragment["X-Content-Type-Options"] == "nosniff"
    assert "HX-Request" in fragment["Vary"]


def test_a_header_that_only_looks_like_htmx_keeps_them(agent: Client, upstream) -> None:
    response = agent.get("/profile/traits", {"ref": JOE}, HTTP_HX_REQUEST="1")
    assert response.has_header("Content-Security-Policy")


def test_a_whole_page_fetched_by_htmx_is_never_kept_for_a_navigation(agent: Client, upstream):
    # An htmx request that follows a redirect to the look-up page gets a whole document.
    response = agent.get("/lookup", {"q": "sam.taylor@example.com"}, **HTMX)
    assert response.status_code == 200 and "<html" in response.content.decode()
    assert not response.has_header("Content-Security-Policy")
    assert "HX-Request" in response["Vary"]
    assert "no-store" in response["Cache-Control"]
    # The same URL as a navigation has every header.
    page = agent.get("/lookup", {"q": "sam.taylor@example.com"})
    for header in DOCUMENT_ONLY:
        assert page.has_header(header), header
