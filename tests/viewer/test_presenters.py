"""Labels, icons, one-line summaries and the grouped, collapsed timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import QueryDict

from profileviewer.client import Event
from profileviewer.viewer.chart import activity_chart
from profileviewer.viewer.forms import parse_filters
from profileviewer.viewer.presenters import (
    RunRow,
    action_style,
    event_summary,
    group_timeline,
    money,
)

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def event(action: str, when: datetime = NOW, **properties: Any) -> Event:
    return Event(
        profile_id="p",
        event_id=f"{action}-{when.isoformat()}",
        action=action,
        name=action.title(),
        event_time=when,
        received_time=None,
        source="test",
        properties=properties,
    )


def test_known_actions_have_a_label_an_icon_and_a_family() -> None:
    style = action_style("order_completed")
    assert (style.label, style.icon, style.family) == ("Order completed", "bag", "buying")


def test_an_unknown_action_reads_as_words_in_the_other_family() -> None:
    style = action_style("loyalty_points_earned")
    assert (style.label, style.family) == ("Loyalty points earned", "other")


def test_summaries_use_the_properties_an_agent_needs() -> None:
    assert event_summary(event("email_sent", email_subject="Hi", campaign_id="NL-1")) == "Hi · NL-1"
    assert (
        event_summary(event("product_viewed", name="Boot", price=139, currency="GBP"))
        == "Boot · £139.00"
    )
    assert (
        event_summary(
            event("order_completed", total=1234.5, currency="GBP", item_count=3, order_id="NW-1")
        )
        == "£1,234.50 · 3 items · NW-1"
    )
    assert event_summary(event("page_viewed", title="Home", path="/")) == "Home · /"
    assert event_summary(event("logged_in", method="magic_link")) == "with magic link"


def test_a_summary_survives_odd_property_types_and_stays_one_line() -> None:
    assert event_summary(event("order_completed", total="lots", items="many")) == ""
    assert event_summary(event("product_viewed", name=["x"], price=float("nan"))) == ""
    long = event_summary(event("email_sent", email_subject="x" * 500))
    assert len(long) == 120 and long.endswith("…")


def test_money_knows_pounds_dollars_and_falls_back_to_the_code() -> None:
    assert money(5, "GBP") == "£5.00"
    assert money(5, "usd") == "$5.00"
    assert money(5, "CHF") == "5.00 CHF"
    assert money(True, "GBP") == ""


def test_events_group_by_day_with_today_and_yesterday_headings() -> None:
    events = [
        event("email_sent", NOW),
        event("logged_in", NOW - timedelta(days=1)),
        event("registered", NOW - timedelta(days=400)),
    ]
    groups = group_timeline(events, now=NOW)
    assert [g.heading for g in groups] == ["Today", "Yesterday", "Thu 16 Oct 2025"]


def test_three_or_more_of_the_same_action_in_a_row_collapse_into_one_run() -> None:
    events = [event("page_viewed", NOW - timedelta(minutes=i), path=f"/{i}") for i in range(12)]
    events.append(event("logged_in", NOW - timedelta(minutes=20)))
    events += [event("page_viewed", NOW - timedelta(minutes=30 + i)) for i in range(2)]
    (today,) = group_timeline(events, now=NOW)
    kinds = [row.kind for row in today.rows]
    assert kinds == ["run", "event", "event", "event"]
    run = today.rows[0]
    assert isinstance(run, RunRow) and run.count == 12
    assert run.first_time < run.last_time
    assert run.summary == "/0, /1, /2, …"
    assert today.event_count == 15


def test_a_run_never_spans_two_days() -> None:
    events = [
        event("page_viewed", NOW.replace(hour=0, minute=2) - timedelta(minutes=i)) for i in range(4)
    ]
    groups = group_timeline(events, now=NOW)
    assert [g.event_count for g in groups] == [3, 1]
    assert groups[0].rows[0].kind == "run" and groups[1].rows[0].kind == "event"


def test_the_chart_counts_90_days_by_family_and_describes_itself() -> None:
    events = [
        event("page_viewed", NOW),
        event("page_viewed", NOW),
        event("order_completed", NOW - timedelta(days=3)),
        event("email_opened", NOW - timedelta(days=89)),
        event("email_opened", NOW - timedelta(days=90)),  # outside the window
    ]
    chart = activity_chart(events, now=NOW)
    assert chart.total == 4
    assert {t.family: t.count for t in chart.totals} == {
        "browsing": 2,
        "buying": 1,
        "email": 1,
        "other": 0,
    }
    assert chart.max_per_day == 2
    assert "4 events in the last 90 days: 2 browsing, 1 buying, 1 email & sms." in (
        chart.description
    )
    tallest = max(chart.bars, key=lambda bar: bar.height)
    assert tallest.height == chart.plot_height and tallest.x == 89 * 5


def test_an_empty_chart_says_there_was_no_activity() -> None:
    chart = activity_chart([], now=NOW)
    assert chart.bars == () and chart.description == "No events in the last 90 days."


def test_filters_round_trip_through_the_query_string() -> None:
    result = parse_filters(
        QueryDict(
            "include=order_completed&exclude=page_viewed,email_sent&start=2026-11-01&sort=asc"
        )
    )
    assert result.errors == []
    assert result.filters.exclude == ("page_viewed", "email_sent")
    assert result.filters.querystring() == (
        "include=order_completed&exclude=page_viewed&exclude=email_sent&start=2026-11-01&sort=asc"
    )
    query = result.filters.event_query()
    assert query.start == datetime(2026, 11, 1, tzinfo=UTC) and query.sort == "asc"


def test_an_end_date_includes_that_whole_day() -> None:
    result = parse_filters(QueryDict("end=2026-11-01"))
    assert result.filters.end == datetime(2026, 11, 2, tzinfo=UTC)


def test_the_charts_days_read_as_day_and_month_in_the_agents_zone() -> None:
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    # 23:30 UTC on 2 Nov is already 3 Nov in Tokyo: the bar, its title and the busiest day
    # are the agent's day, written "3 Nov" (as strftime's "%-d %b", without its locale); and
    # NOW (15:00 UTC on 20 Nov) is 21 Nov there, the last day shown.
    late = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)
    events = [event("page_viewed", late), event("page_viewed", late), event("email_opened", late)]
    with timezone.override(ZoneInfo("Asia/Tokyo")):
        chart = activity_chart(events, now=NOW)
    assert [bar.title for bar in chart.bars] == ["3 Nov: 2 browsing", "3 Nov: 1 email & sms"]
    assert [tick.label for tick in chart.ticks] == ["24 Aug", "23 Sep", "23 Oct", "21 Nov"]
    assert "Busiest day 3 Nov with 3." in chart.description
