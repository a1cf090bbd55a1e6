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


# --- Timeline rows: everything the upstream sends is escaped ---------------------------------

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
        context={},
        raw={"eventAction": action, "note": "</pre><script>alert(1)</script>"},
    )


@pytest.mark.parametrize("event_url", ["/profile/event?ref=userId%3Aa&sort=desc&event_id=", ""])
def test_timeline_rows_escape_actions_summaries_ids_and_raw_json(event_url):
    from profileviewer.viewer.presenters import RunRow, group_timeline
    from profileviewer.viewer.templatetags.viewer import timeline_rows

    # Three in a row collapse into a run; the odd one out stays a single row.
    events = [_hostile_event("page_viewed", s) for s in (1, 2, 3)]
    events.append(_hostile_event(f"custom_{HOSTILE}", 4))
    rows = [row for group in group_timeline(events) for row in group.rows]
    assert any(isinstance(row, RunRow) for row in rows)
    html = timeline_rows(rows, event_url)
    for raw in ("<img", "<script", "<svg onload"):
        assert raw not in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    if event_url:
        assert "id-1%22%3E%3Csvg%20onload%3Dalert%281%29%3E" in html  # the id, URL-quoted
    else:
        assert "&lt;/pre&gt;&lt;script&gt;" in html  # live rows embed the raw JSON, escaped


def test_machine_times_are_utc_to_the_second():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from profileviewer.viewer.templatetags.viewer import machine_time, when

    moment = datetime(2026, 11, 29, 9, 28, 25, 542000, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert machine_time(moment) == "2026-11-29T00:28:25Z"
    assert machine_time(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    assert 'datetime="2026-11-29T00:28:25Z"' in when(moment, "clock")


def test_path_is_the_url_tags_answer_under_the_apps_script_prefix(agent, db):
    from django.template import engines
    from django.urls import set_script_prefix

    template = engines["django"].from_string("{% load viewer %}{% path 'viewer:timeline' %}")
    assert template.render({}) == "/profile/timeline"
    set_script_prefix("/viewer/")  # the app mounted below a path (SCRIPT_NAME)
    try:
        assert template.render({}) == "/viewer/profile/timeline"
    finally:
        set_script_prefix("/")
    # Pages and panels use it: the profile page's panel slots point at the panels.
    page = agent.get("/profile", {"ref": "userId:qrc-117322"}).content.decode()
    assert 'hx-get="/profile/timeline?ref=userId%3Aqrc-117322"' in page


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
