"""Panels kept as rendered (viewer/fragments.py): asked again, a panel is served as it was
drawn, but only to an agent who would see it drawn the same, never with an error, and never
older than the answers it was drawn from."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from django.contrib.auth.models import User
from django.test import Client, override_settings

from profileviewer.client import ProfilesClient, UnavailableError
from profileviewer.sandbox.store import NewEvent, add_events
from profileviewer.viewer import presenters
from tests.masking.roles import give_role
from tests.viewer.conftest import HTMX, JOE

CLICKED = "Email link clicked"


def panel(client: Client, name: str, **headers: str) -> str:
    response = client.get(f"/profile/{name}", {"ref": JOE}, **HTMX, **headers)
    assert response.status_code == 200
    return response.content.decode()


def until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def signed_in(name: str, *roles: str) -> Client:
    user = User.objects.create_user(name, password=f"{name}-password-1")
    for role in roles:
        give_role(user, role)
    client = Client()
    client.force_login(user)
    return client


def test_a_panel_kept_for_one_role_is_never_served_to_another(upstream):
    # Sales sees phones in full, an agent without a role does not; neither sees restricted
    # traits.
    sales, nobody = signed_in("sally", "sales"), signed_in("dave")
    assert "+44 7700 900123" in panel(sales, "traits")
    masked = panel(nobody, "traits")
    assert "+44 7700 900123" not in masked and "0123" in masked
    # Each is kept for its own role: asked again, each sees what it saw.
    assert "+44 7700 900123" in panel(sales, "traits")
    assert "+44 7700 900123" not in panel(nobody, "traits")


def test_a_panel_kept_in_one_time_zone_is_drawn_again_in_another(agent, upstream):
    tokyo = panel(agent, "timeline", HTTP_X_TIME_ZONE="Asia/Tokyo")
    honolulu = panel(agent, "timeline", HTTP_X_TIME_ZONE="Pacific/Honolulu")
    assert tokyo != honolulu
    assert " JST" in tokyo and " HST" in honolulu
    assert panel(agent, "timeline", HTTP_X_TIME_ZONE="Asia/Tokyo") == tokyo


@override_settings(INTILERY_CACHE_TTL=2)
def test_a_panel_is_never_kept_longer_than_the_answers_it_was_drawn_from(agent, upstream):
    panel(agent, "traits")  # reads Joe's metadata: kept for 2 s from its arrival
    arrived = time.monotonic()  # at the latest
    add_events(upstream["joe"], [NewEvent("email_clicked", datetime.now(UTC), {"email_id": "E-1"})])
    until(arrived + 0.3)
    # Drawn from that answer, and kept: the click is not there yet.
    assert CLICKED not in panel(agent, "meta")
    assert CLICKED not in panel(agent, "meta")
    until(arrived + 2.2)
    # The answer has expired, and so has the panel drawn from it later.
    assert CLICKED in panel(agent, "meta")


def test_a_panel_that_failed_is_drawn_again_when_asked_again(agent, upstream, monkeypatch):
    events = ProfilesClient.events
    failed: list[bool] = []

    def failing_once(self: ProfilesClient, *args, **kwargs):
        if not failed:
            failed.append(True)
            raise UnavailableError("The Profiles API did not answer in time.")
        return events(self, *args, **kwargs)

    monkeypatch.setattr(ProfilesClient, "events", failing_once)
    first = panel(agent, "summary")  # its metadata read, one of its event reads failed
    assert "panel-error" in first and "Churn risk" not in first
    second = panel(agent, "summary")
    assert "panel-error" not in second and "Churn risk" in second


def test_after_a_refresh_the_panel_asked_again_is_the_refreshed_one(agent, upstream):
    assert "Wellies" not in panel(agent, "timeline")
    add_events(
        upstream["joe"],
        [NewEvent("product_viewed", datetime.now(UTC), {"name": "Wellies", "price": 45})],
    )
    assert "Wellies" not in panel(agent, "timeline")
    fresh = agent.get("/profile/timeline", {"ref": JOE, "fresh": "1"}, **HTMX).content.decode()
    assert "Wellies" in fresh
    assert "Wellies" in panel(agent, "timeline")


def test_a_timelines_results_are_kept_apart_from_the_whole_panel(agent, upstream):
    whole = panel(agent, "timeline")
    assert 'class="timeline-filters"' in whole
    results = panel(agent, "timeline", HTTP_HX_TARGET="timeline-results")
    assert 'class="timeline-filters"' not in results and 'id="timeline-results"' in results
    assert panel(agent, "timeline") == whole


def test_a_refresh_is_not_undone_by_a_slower_request_begun_before_it(agent, upstream, monkeypatch):
    # Joe's events cached, as another time zone's panel read them; nothing kept in this one.
    panel(agent, "timeline", HTTP_X_TIME_ZONE="Asia/Tokyo")
    add_events(
        upstream["joe"],
        [NewEvent("product_viewed", datetime.now(UTC), {"name": "Wellies", "price": 45})],
    )
    group = presenters.group_timeline
    reading, release = threading.Event(), threading.Event()

    def slow_first(*args, **kwargs):
        if not reading.is_set():
            reading.set()  # the events read are those cached before the refresh
            assert release.wait(10)
        return group(*args, **kwargs)

    monkeypatch.setattr(presenters, "group_timeline", slow_first)
    slower: list[str] = []
    other_tab = Client()
    other_tab.cookies = agent.cookies
    thread = threading.Thread(target=lambda: slower.append(panel(other_tab, "timeline")))
    thread.start()
    assert reading.wait(10)
    fresh = agent.get("/profile/timeline", {"ref": JOE, "fresh": "1"}, **HTMX).content.decode()
    assert "Wellies" in fresh
    release.set()
    thread.join(10)
    assert "Wellies" not in slower[0]
    assert "Wellies" in panel(agent, "timeline")
