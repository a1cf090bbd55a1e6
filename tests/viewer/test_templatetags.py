import pytest

from profileviewer.viewer.templatetags.viewer import safe_href


@pytest.mark.parametrize(
    "url",
    [
        "https://northwind.example/p/1",
        "http://northwind.example",
        "/sandbox/products/NW-BAG-0128.svg",
        "mailto:joe.bloggs@example.com",
        "tel:+44111222333444",
    ],
)
def test_safe_links_are_kept(url):
    assert safe_href(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "//evil.example/x",
        "/\\evil.example/x",
        "vbscript:msgbox(1)",
        None,
        42,
    ],
)
def test_links_that_could_run_script_or_leave_the_site_are_dropped(url):
    assert safe_href(url) == ""


# --- Timeline rows (panels.html partials): everything the upstream sends is escaped -------

HOSTILE = '"><img src=x onerror=alert(1)>'


def _hostile_event(action: str, seconds: int):
    from datetime import UTC, datetime

    from profileviewer.client import Event

    when = datetime(2026, 11, 28, 12, 0, seconds, tzinfo=UTC)
    props = {"title": HOSTILE, "path": "/<script>x</script>", "name": HOSTILE}
    return Event(
        profile_id="p",
        event_id=f'id-{seconds}"><svg onload=alert(1)>',
        action=action,
        name=HOSTILE,
        event_time=when,
        received_time=when,
        source="s",
        properties=props,
    )


def test_timeline_rows_escape_actions_summaries_and_ids_and_link_every_event():
    from profileviewer.viewer.presenters import RunRow, group_timeline
    from profileviewer.viewer.templatetags.viewer import timeline_rows

    # Three in a row collapse into a run; the odd one out stays a single row.
    events = [_hostile_event("page_viewed", s) for s in (1, 2, 3)]
    events.append(_hostile_event(f"custom_{HOSTILE}", 4))
    (group,) = group_timeline(events)
    assert any(isinstance(row, RunRow) for row in group.rows)
    event_url = "/profile/event?ref=userId%3Aa&sort=desc&event_id="
    html = timeline_rows(group.rows, event_url)
    for raw in ("<img", "<script", "<svg onload"):
        assert raw not in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Custom &quot;&gt;&lt;img src=x onerror=alert(1)&gt;</span>" in html  # its label
    assert '<span class="count">\u00d7 3</span>' in html
    assert html.count('<a class="raw" href="') == html.count('<li class="event">') == 4
    # The id, URL-quoted, after the URL (its & escaped in the attribute).
    assert (
        'href="/profile/event?ref=userId%3Aa&amp;sort=desc&amp;event_id='
        'id-1%22%3E%3Csvg%20onload%3Dalert%281%29%3E"'
    ) in html


def test_machine_times_are_utc_to_the_second():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from profileviewer.viewer.templatetags.viewer import machine_time, when

    moment = datetime(2026, 11, 29, 9, 28, 25, 542000, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert machine_time(moment) == "2026-11-29T00:28:25Z"
    assert machine_time(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    assert 'datetime="2026-11-29T00:28:25Z"' in when(moment, "clock")


def test_urls_follow_the_apps_script_prefix(agent, stub_client):
    # The app mounted below a path (SCRIPT_NAME, which the WSGI handler makes the script
    # prefix): the page's panel slots and the panels' own links stay below it.
    from django.urls import set_script_prefix

    from tests.viewer.conftest import HTMX, NO_EVENTS
    from tests.viewer.test_panels import joe_meta

    stub_client(meta=[joe_meta()], events=NO_EVENTS)
    ref = {"ref": "userId:qrc-117322"}
    set_script_prefix("/viewer/")
    try:
        page = agent.get("/profile", ref).content.decode()
        panel = agent.get("/profile/timeline", ref, **HTMX).content.decode()
    finally:
        set_script_prefix("/")
    assert 'hx-get="/viewer/profile/timeline?ref=userId%3Aqrc-117322"' in page
    assert 'hx-get="/viewer/profile/header?ref=userId%3Aqrc-117322"' in page
    assert 'action="/viewer/profile"' in panel and 'hx-get="/viewer/profile/timeline"' in panel
    plain = agent.get("/profile", ref).content.decode()
    assert 'hx-get="/profile/timeline?ref=userId%3Aqrc-117322"' in plain


def test_when_writes_dates_and_clock_times_in_the_agents_zone():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from profileviewer.viewer.templatetags.viewer import when

    moment = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)  # 3 Nov, 08:30 in Tokyo
    with timezone.override(ZoneInfo("Asia/Tokyo")):
        assert when(moment, "date") == (
            '<time datetime="2026-11-02T23:30:00Z" title="Tue 3 Nov 2026, 08:30 JST">'
            "3 Nov 2026</time>"
        )
        assert ">08:30</time>" in when(moment, "clock")
    assert when(None) == "never"


def test_when_can_give_the_time_a_class():
    from datetime import UTC, datetime

    from profileviewer.viewer.templatetags.viewer import when

    moment = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)
    assert when(moment, "clock", "ev-time").startswith('<time class="ev-time" datetime=')
    assert when(moment, "clock").startswith("<time datetime=")
