"""The embedded viewer as an agent meets it in its hosts: the Zendesk and Pipedrive simulators
(/dev/hosts/) in Debian's chromium. Each frames our entry from the other loopback name, so the
app is cross-site in its frame, as in the real hosts, and must work without a cookie."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import _watch, make_viewer

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
FRAME_NAMES = {"zendesk": "zaf-app", "pipedrive": "pd-panel"}
# The simulator's requester picker (simulators.REQUESTERS) and record picker (RECORDS).
SAM, PRIYA, NOBODY = "1", "3", "4"
JOE_REPLY = re.compile(r"^Customer: Joe Bloggs <joe\.bloggs@example\.com>\n")
PANELS_SHOWN_FIRST = ("summary", "viewed-not-bought", "timeline")


@dataclass
class Simulator:
    """A tab on a host simulator, the app's origin it frames, and what the console said."""

    page: Any
    app_origin: str
    frame_name: str
    problems: list[str] = field(default_factory=list)

    @property
    def app(self) -> Any:
        """The app's frame as a locator root; it follows the frame through reloads."""
        return self.page.frame_locator(f"iframe[name={self.frame_name}]")

    def frame(self) -> Any:
        """The app's frame itself (to evaluate in), once our entry has answered in it."""
        expect(self.app.locator("main#main")).to_be_attached()
        frame = self.page.frame(name=self.frame_name)
        assert frame is not None and frame.url.startswith(self.app_origin + "/embed/")
        return frame


def _other_loopback(url: str) -> str:
    parts = urlsplit(url)
    other = "127.0.0.1" if parts.hostname == "localhost" else "localhost"
    return f"{parts.scheme}://{other}:{parts.port}"


OpenSimulator = Callable[[str], Simulator]


@pytest.fixture
def open_simulator(chromium: Any, demo_upstream: str, settings: Any) -> Iterator[OpenSimulator]:
    # The fake Pipedrive API is on this live server, not on the configured PORT.
    settings.PIPEDRIVE_API_URL = demo_upstream + "/sandbox/pipedrive"
    opened: list[tuple[Any, Simulator]] = []

    def open_simulator(host: str) -> Simulator:
        context = chromium.new_context(
            viewport={"width": 1280, "height": 900}, timezone_id="Europe/London", locale="en-GB"
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        # The simulator frames the app from the other loopback name than its own.
        sim = Simulator(page, _other_loopback(demo_upstream), FRAME_NAMES[host])
        _watch(page, sim.problems)
        opened.append((context, sim))
        page.goto(f"{demo_upstream}/dev/hosts/{host}/")
        return sim

    yield open_simulator
    for context, sim in opened:
        context.close()
        assert sim.problems == [], "CSP violations or script errors in the browser console"


def expect_customer(app: Any, name: str) -> None:
    expect(app.locator("h1#sb-name")).to_have_text(name)


def expect_panel_loaded(app: Any, panel: str) -> None:
    body = app.locator(f"#panel-{panel} .panel-body")
    expect(body).not_to_have_class(re.compile(r"\bis-loading\b"))
    expect(app.locator(f"#panel-{panel} .panel-error")).to_have_count(0)


# --- Zendesk ------------------------------------------------------------------------------


def test_joes_profile_opens_in_the_zendesk_sidebar_without_a_cookie(
    open_simulator: OpenSimulator,
) -> None:
    sim = open_simulator("zendesk")
    expect_customer(sim.app, "Joe Bloggs")
    expect(sim.app.get_by_text("Matched by external id")).to_be_visible()
    expect_panel_loaded(sim.app, "summary")
    expect(sim.app.locator("#panel-summary")).to_contain_text("Churn risk")
    assert sim.problems == []
    # This chromium keeps a cross-site frame's `SameSite=None; Secure` cookie (checked by
    # hand), so an empty jar means the app set none, not that the browser dropped it.
    assert sim.page.context.cookies(sim.app_origin) == []


def test_the_zendesk_timeline_marks_when_the_ticket_was_opened(
    open_simulator: OpenSimulator,
) -> None:
    sim = open_simulator("zendesk")
    expect_panel_loaded(sim.app, "timeline")
    marker = sim.app.locator("#panel-timeline li.ticket-marker")
    expect(marker).to_have_count(1)
    expect(marker).to_contain_text("Ticket opened")
    expect(marker).to_have_css("display", "flex")  # the sidebar's own styles apply
    opened = sim.page.locator("time[data-sim-opened]").inner_text()
    marked = marker.locator("time").get_attribute("datetime")
    assert datetime.fromisoformat(marked) == datetime.fromisoformat(opened)
    # Between Joe's visit after the ticket and everything he did before it.
    position, rows = sim.app.locator("#panel-timeline").evaluate(
        "panel => { const rows = [...panel.querySelectorAll('li.event')];"
        " return [rows.findIndex((row) => row.matches('.ticket-marker')), rows.length]; }"
    )
    assert 0 < position < rows - 1


def test_insert_into_reply_puts_a_plain_summary_in_the_reply_box(
    open_simulator: OpenSimulator,
) -> None:
    sim = open_simulator("zendesk")
    expect_customer(sim.app, "Joe Bloggs")
    sim.app.get_by_role("button", name="Insert into reply").click()
    expect(sim.page.locator("#sim-reply")).to_have_value(JOE_REPLY)
    reply = sim.page.locator("#sim-reply").input_value()
    assert "<" not in reply.split(">", 1)[1]  # plain text, no markup after the address
    expect(sim.app.locator("[data-reply-status]")).to_have_text("Summary added to the reply.")


@pytest.mark.parametrize("demo_large_profiles", [1], ids=["with-priya-shah"])
def test_changing_the_ticket_requester_reloads_the_sidebar(
    open_simulator: OpenSimulator, demo_large_profiles: int
) -> None:
    sim = open_simulator("zendesk")
    requester = sim.page.locator("[data-sim-requester]")
    expect_customer(sim.app, "Joe Bloggs")

    requester.select_option(PRIYA)
    expect_customer(sim.app, "Priya Shah")
    expect_panel_loaded(sim.app, "summary")

    requester.select_option(SAM)
    expect(sim.app.get_by_role("heading", name="2 customers share this email")).to_be_visible()
    choices = sim.app.locator("[data-choose-ref]")
    expect(choices).to_have_count(2)
    choices.filter(has_text="sam-taylor-us").click()
    expect_customer(sim.app, "Sam Taylor")
    expect(sim.app.locator(".sidebar-body")).to_have_attribute("data-ref", "userId:sam-taylor-us")

    requester.select_option(NOBODY)
    expect(sim.app.get_by_role("heading", name="No customer found")).to_be_visible()
    expect(sim.app.locator(".searched")).to_contain_text("nobody@example.com")
    sim.app.get_by_label("Find a customer").fill("qrc-117322")
    sim.app.get_by_role("button", name="Look up").click()
    expect_customer(sim.app, "Joe Bloggs")


def test_the_customer_chosen_for_a_ticket_is_remembered(open_simulator: OpenSimulator) -> None:
    sim = open_simulator("zendesk")
    requester = sim.page.locator("[data-sim-requester]")
    expect_customer(sim.app, "Joe Bloggs")
    requester.select_option(SAM)
    sim.app.locator("[data-choose-ref]").filter(has_text="sam-taylor-uk").click()
    expect(sim.app.locator(".sidebar-body")).to_have_attribute("data-ref", "userId:sam-taylor-uk")
    # Another ticket, then Sam's again: his ticket opens on the customer chosen for it.
    requester.select_option("0")
    expect_customer(sim.app, "Joe Bloggs")
    requester.select_option(SAM)
    expect(sim.app.locator(".sidebar-body")).to_have_attribute("data-ref", "userId:sam-taylor-uk")
    expect(sim.app.locator("[data-choose-ref]")).to_have_count(0)


def test_the_zendesk_sidebar_works_from_the_keyboard_alone(open_simulator: OpenSimulator) -> None:
    sim = open_simulator("zendesk")
    expect_customer(sim.app, "Joe Bloggs")
    frame = sim.frame()
    insert = sim.app.get_by_role("button", name="Insert into reply")
    # Focus enters the frame at its top, as when the agent tabs into the app from the ticket.
    sim.page.locator(f"iframe[name={sim.frame_name}]").focus()
    for _ in range(5):
        sim.page.keyboard.press("Tab")
        if frame.evaluate("document.activeElement.matches('[data-insert-reply]')"):
            break
    expect(insert).to_be_focused()
    sim.page.keyboard.press("Enter")
    expect(sim.page.locator("#sim-reply")).to_have_value(JOE_REPLY)

    # Collapsed panels: a summary is a native control, opened by Enter or Space.
    for title, key, panel in (("Traits", "Enter", "traits"), ("Metadata", "Space", "meta")):
        summary = sim.app.locator("details.sb-more > summary", has_text=title)
        expect(summary.locator("xpath=..")).not_to_have_attribute("open", "")
        summary.focus()
        expect(summary).to_be_focused()
        sim.page.keyboard.press(key)
        expect(summary.locator("xpath=..")).to_have_attribute("open", "")
        expect_panel_loaded(sim.app, panel)


# --- Pipedrive ----------------------------------------------------------------------------


def test_pipedrive_people_and_deals_open_their_customer(open_simulator: OpenSimulator) -> None:
    sim = open_simulator("pipedrive")
    record = sim.page.locator("[data-sim-record]")
    expect_customer(sim.app, "Joe Bloggs")
    expect(sim.app.get_by_text("Matched by email")).to_be_visible()
    expect_panel_loaded(sim.app, "summary")

    record.select_option("deal:1")
    expect(sim.app.locator("body")).to_have_attribute("data-record", "deal:1")
    expect_customer(sim.app, "Joe Bloggs")

    record.select_option("person:3")
    expect(sim.app.locator("body")).to_have_attribute("data-record", "person:3")
    expect(sim.app.get_by_role("status")).to_contain_text("has no email address in Pipedrive")
    expect(sim.app.get_by_label("Find a customer")).to_be_visible()
    expect(sim.app.locator("h1#sb-name")).to_have_count(0)


def test_the_pipedrive_panel_follows_the_hosts_theme(open_simulator: OpenSimulator) -> None:
    sim = open_simulator("pipedrive")
    expect_customer(sim.app, "Joe Bloggs")
    frame = sim.frame()
    html = sim.app.locator("html")
    expect(html).to_have_attribute("data-theme", "light")
    light = frame.evaluate("getComputedStyle(document.body).backgroundColor")
    sim.page.locator("[data-sim-theme]").select_option("dark")
    expect(html).to_have_attribute("data-theme", "dark")
    dark = frame.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark != light
    assert dark == "rgb(14, 17, 21)"  # --bg of the dark theme


def test_a_forged_pipedrive_token_is_refused_cleanly(open_simulator: OpenSimulator) -> None:
    sim = open_simulator("pipedrive")
    expect_customer(sim.app, "Joe Bloggs")
    with sim.page.expect_response(re.compile(r"/embed/pipedrive/\?")) as entry:
        sim.page.locator("[data-sim-forge]").check()
    assert entry.value.status == 401
    expect(sim.app.locator("h1#refused-title")).to_have_text("Profile Viewer cannot open here")
    expect(sim.app.get_by_role("alert").filter(has_text="could not be verified")).to_be_visible()
    expect(sim.app.locator("body")).not_to_contain_text("Joe Bloggs")
    expect(sim.app.locator("#sidebar")).to_have_count(0)
    assert "Joe Bloggs" not in sim.frame().content()
    # The refused entry itself is a deliberate 401: the one console line allowed.
    sim.problems[:] = [p for p in sim.problems if not _is_entry_401(p)]


def _is_entry_401(problem: str) -> bool:
    return problem.startswith("console error: Failed to load resource") and "401" in problem


# --- Accessibility ------------------------------------------------------------------------

SERIOUS = ["serious", "critical"]
RUN_AXE = """async (impacts) => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => impacts.includes(v.impact))
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
    }));
}"""


def serious_violations(frame: Any) -> list[dict[str, Any]]:
    # Evaluated over the DevTools protocol, so the page's strict CSP neither blocks axe nor
    # needs loosening for it.
    frame.evaluate(AXE.read_text() + "\n;0")
    return frame.evaluate(RUN_AXE, SERIOUS)


def test_the_zendesk_sidebar_has_no_serious_accessibility_violations(
    open_simulator: OpenSimulator,
) -> None:
    sim = open_simulator("zendesk")
    expect_customer(sim.app, "Joe Bloggs")
    for panel in PANELS_SHOWN_FIRST:
        expect_panel_loaded(sim.app, panel)
    assert serious_violations(sim.frame()) == []


def test_the_pipedrive_panel_has_no_serious_accessibility_violations(
    open_simulator: OpenSimulator,
) -> None:
    sim = open_simulator("pipedrive")
    expect_customer(sim.app, "Joe Bloggs")
    for panel in PANELS_SHOWN_FIRST:
        expect_panel_loaded(sim.app, panel)
    frame = sim.frame()
    assert serious_violations(frame) == []
    # Pipedrive's dark theme has colours of its own to check for contrast.
    sim.page.locator("[data-sim-theme]").select_option("dark")
    expect(sim.app.locator("html")).to_have_attribute("data-theme", "dark")
    assert serious_violations(frame) == []


def test_the_profile_page_has_no_serious_accessibility_violations(
    chromium: Any, demo_upstream: str
) -> None:
    context, tab = make_viewer(chromium, demo_upstream)
    try:
        tab.open("/profile?ref=userId%3Aqrc-117322")
        expect(tab.page.get_by_role("heading", name="Joe Bloggs", level=1)).to_be_visible()
        expect(tab.page.locator(".is-loading")).to_have_count(0)
        violations = serious_violations(tab.page.main_frame)
    finally:
        context.close()
    assert violations == []
    assert tab.problems == []
