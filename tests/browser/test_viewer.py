"""What an agent sees and does in a real browser (Debian's chromium, strict CSP)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Viewer, make_viewer

pytestmark = pytest.mark.browser

JOE = "/profile?ref=userId%3Aqrc-117322"
# The README's screenshots; the test writes them there only when asked (they are tracked).
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PANEL_TITLES = ["Summary", "Traits", "Metadata", "Activity", "Viewed, not bought", "Timeline"]


def wait_for_panels(page: Any) -> None:
    """The header and every panel swapped their skeletons for content (or an error state)."""
    expect(page.locator(".is-loading")).to_have_count(0)
    expect(page.locator(".panel-body")).to_have_count(6)


def test_looking_up_an_external_id_opens_the_profile_with_every_panel(viewer: Viewer) -> None:
    page = viewer.page
    page.get_by_label("Email, external id or Intilery id").fill("qrc-117322")
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_role("heading", name="Joe Bloggs", level=1)).to_be_visible()
    expect(page.get_by_text("Matched by external id")).to_be_visible()
    wait_for_panels(page)
    for title in PANEL_TITLES:
        expect(page.get_by_role("heading", name=re.compile(title))).to_be_visible()
    expect(page.locator(".panel-error")).to_have_count(0)
    expect(page.locator(".risk")).to_contain_text("Churn risk")
    expect(page.locator("svg.chart-svg")).to_be_visible()
    expect(page.locator(".product").first).to_be_visible()


def test_an_email_shared_by_two_profiles_lists_both_and_opens_the_chosen_one(
    viewer: Viewer,
) -> None:
    page = viewer.page
    page.get_by_label("Email, external id or Intilery id").fill("sam.taylor@example.com")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("2 customers match"))).to_be_visible()
    matches = page.locator(".match")
    expect(matches).to_have_count(2)
    expect(page.get_by_text("sam-taylor-us")).to_be_visible()
    matches.filter(has_text="sam-taylor-uk").click()
    expect(page).to_have_url(re.compile(r"ref=userId%3Asam-taylor-uk"))
    wait_for_panels(page)


def test_no_customer_found_shows_what_was_searched(viewer: Viewer) -> None:
    page = viewer.page
    page.get_by_label("Email, external id or Intilery id").fill("<b>nobody</b>@example.com")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="No customer found")).to_be_visible()
    expect(page.locator(".searched")).to_have_text("<b>nobody</b>@example.com")


def test_a_first_view_loads_the_header_beside_the_panels(viewer: Viewer) -> None:
    # Opened directly, as a helpdesk sidebar opens it.
    page = viewer.page
    asked: list[str] = []
    page.on("request", lambda request: asked.append(urlsplit(request.url).path))
    viewer.open(JOE)
    expect(page.get_by_role("heading", name="Joe Bloggs", level=1)).to_be_visible()
    # The header goes out first; traits, seventh to the host, wait their turn.
    fragments = [path for path in asked if path.startswith("/profile/")]
    assert len(fragments) == 7
    assert (fragments[0], fragments[-1]) == ("/profile/header", "/profile/traits")
    expect(page).to_have_title("Joe Bloggs · Profile Viewer")
    wait_for_panels(page)
    expect(page.locator(".panel-error")).to_have_count(0)


def test_opening_someone_who_is_not_a_customer_says_so_instead_of_the_panels(
    viewer: Viewer,
) -> None:
    page = viewer.page
    viewer.open("/profile?ref=userId%3Anobody-here")
    expect(page.get_by_role("heading", name="No customer found")).to_be_visible()
    expect(page.locator(".searched")).to_have_text("userId:nobody-here")
    expect(page.locator(".panel")).to_have_count(0)
    expect(page).to_have_title("No customer found · Profile Viewer")


def test_opening_an_email_shared_by_two_profiles_lists_both(viewer: Viewer) -> None:
    page = viewer.page
    viewer.open("/profile?ref=email%3Asam.taylor%40example.com")
    expect(page.get_by_role("heading", name=re.compile("2 customers match"))).to_be_visible()
    expect(page.locator(".match")).to_have_count(2)


def test_filtering_the_timeline_updates_it_and_the_shareable_url(viewer: Viewer) -> None:
    page = viewer.page
    viewer.open(JOE)
    wait_for_panels(page)
    page.get_by_label("Show only").select_option("order_completed")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"include=order_completed"))
    labels = page.locator("#timeline-results .ev-label")
    expect(labels.first).to_have_text("Order completed")
    assert set(labels.all_inner_texts()) == {"Order completed"}
    # The pushed URL is a whole profile page that opens with the same filter.
    page.reload()
    wait_for_panels(page)
    expect(page.get_by_label("Show only")).to_have_value("order_completed")
    assert set(page.locator("#timeline-results .ev-label").all_inner_texts()) == {"Order completed"}


def test_scrolling_to_the_end_of_the_timeline_loads_the_next_50(viewer: Viewer) -> None:
    page = viewer.page
    viewer.open(JOE)
    wait_for_panels(page)
    events = page.locator("#timeline-results .event")
    first_page = events.count()
    assert first_page >= 40  # 50 events, some collapsed into runs
    page.locator("#timeline-results li.more").scroll_into_view_if_needed()
    expect(page.locator("#timeline-results li.day")).not_to_have_count(0)
    expect(events.nth(first_page + 5)).to_be_attached()
    assert events.count() > first_page


def test_expanding_an_event_shows_its_raw_json(viewer: Viewer) -> None:
    page = viewer.page
    viewer.open(JOE)
    wait_for_panels(page)
    row = page.locator("#timeline-results .event:not(.run)").first
    json_block = row.locator("pre.json")
    expect(json_block).to_be_hidden()
    row.locator("summary").click()
    expect(json_block).to_be_visible()
    expect(json_block).to_contain_text('\n  "eventAction": "')  # indented
    # An event inside a collapsed run ("Page viewed x 5") opens the same way.
    run = page.locator("#timeline-results .event.run").first
    expect(run.locator(".count")).to_have_text(re.compile("^\u00d7 \\d+$"))
    run.locator("summary").first.click()
    nested = run.locator(".events.nested .event").first
    nested.locator("summary").click()
    expect(nested.locator("pre.json")).to_contain_text('"eventAction": "')


def test_the_dark_theme_toggle_sticks_across_pages(viewer: Viewer) -> None:
    page = viewer.page
    viewer.open(JOE)
    page.get_by_role("button", name="Switch between light and dark theme").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(14, 17, 21)"
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")


def test_a_system_dark_preference_is_followed_without_a_toggle(chromium, demo_upstream) -> None:
    context, tab = make_viewer(chromium, demo_upstream, scheme="dark")
    try:
        tab.open(JOE)
        assert tab.page.evaluate("getComputedStyle(document.body).backgroundColor") == (
            "rgb(14, 17, 21)"
        )
    finally:
        context.close()
    assert tab.problems == []


@pytest.mark.parametrize("width", [320, 400])
def test_the_profile_fits_a_helpdesk_sidebar_without_horizontal_scroll(
    chromium, demo_upstream, width: int
) -> None:
    context, tab = make_viewer(chromium, demo_upstream, width=width, height=700)
    try:
        tab.open(JOE)
        wait_for_panels(tab.page)
        # Open the widest thing on the page: an event's raw JSON.
        tab.page.locator("#timeline-results .event:not(.run) summary").first.click()
        assert tab.page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()
    assert tab.problems == []


def test_every_control_is_reachable_from_the_keyboard(viewer: Viewer) -> None:
    page = viewer.page
    viewer.open(JOE)
    wait_for_panels(page)
    page.keyboard.press("Tab")
    expect(page.get_by_text("Skip to content")).to_be_focused()
    focused: set[str] = set()
    for _ in range(40):
        page.keyboard.press("Tab")
        focused.add(page.evaluate("document.activeElement.getAttribute('aria-label') || ''"))
    assert "Copy email" in focused
    assert "Refresh every panel from the customer database" in focused


def test_copy_buttons_put_the_identity_on_the_clipboard(chromium, demo_upstream) -> None:
    context, tab = make_viewer(chromium, demo_upstream)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=demo_upstream)
    try:
        tab.open(JOE)
        tab.page.get_by_role("button", name="Copy external id").click()
        expect(tab.page.locator("[data-copy-status]")).to_have_text("Copied qrc-117322")
        assert tab.page.evaluate("navigator.clipboard.readText()") == "qrc-117322"
    finally:
        context.close()
    assert tab.problems == []


def test_refresh_reloads_every_panel(viewer: Viewer) -> None:
    page = viewer.page
    viewer.open(JOE)
    wait_for_panels(page)
    with page.expect_request(re.compile(r"/profile/traits\?.*fresh=1")):
        page.get_by_role("link", name="Refresh every panel from the customer database").click()
    wait_for_panels(page)


RUNNING_ANIMATIONS = """
document.getAnimations()
  .filter(a => a.playState === "running")
  .map(a => `${a.animationName || a.transitionProperty} on ${a.effect.target.className}`)
"""


def test_a_loaded_profile_stops_animating(viewer: Viewer) -> None:
    # Agents keep the viewer open all day: once the panels are in, nothing may keep the
    # browser drawing frames (a hidden spinner spinning forever did).
    page = viewer.page
    viewer.open(JOE)
    wait_for_panels(page)
    expect(page.locator("#timeline-spinner")).to_be_attached()
    running = page.evaluate(RUNNING_ANIMATIONS)
    for _ in range(20):  # a fade that ends with a request may still be finishing
        if not running:
            break
        page.wait_for_timeout(100)
        running = page.evaluate(RUNNING_ANIMATIONS)
    assert running == []


def test_screenshots_of_joe_bloggs_at_320_px_and_desktop(chromium, demo_upstream, tmp_path) -> None:
    # PV_UPDATE_SCREENSHOTS=1 refreshes the README's; otherwise they go to a temporary folder.
    update = os.environ.get("PV_UPDATE_SCREENSHOTS") == "1"
    folder = DOCS_SCREENSHOTS if update else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    for name, width in (("profile-320.png", 320), ("profile-desktop.png", 1440)):
        context, tab = make_viewer(chromium, demo_upstream, width=width, height=900)
        try:
            tab.open(JOE)
            wait_for_panels(tab.page)
            # Product images load lazily: bring each into view so the picture shows them.
            for image in tab.page.locator(".product img").all():
                image.scroll_into_view_if_needed()
                expect(image).to_have_js_property("complete", True)
                assert image.evaluate("img => img.naturalWidth") > 0
            tab.page.screenshot(path=str(folder / name), full_page=True)
        finally:
            context.close()
        assert (folder / name).stat().st_size > 10_000


def test_pages_and_panels_arrive_brotli_compressed_and_read_as_sent(viewer: Viewer) -> None:
    # Chromium accepts br; the random-length padding (BREACH) must not change what it reads.
    page = viewer.page
    encodings = {}
    page.on(
        "response",
        lambda response: encodings.__setitem__(
            response.url.split("?")[0].removeprefix(viewer.url),
            response.headers.get("content-encoding"),
        ),
    )
    viewer.open(JOE)
    wait_for_panels(page)
    expect(page.get_by_role("heading", name="Joe Bloggs", level=1)).to_be_visible()
    assert encodings["/profile"] == "br"
    assert encodings["/profile/timeline"] == "br"
