import time
from datetime import timedelta
from decimal import Decimal

import pytest

from profileviewer.client import NotFoundError, ProfileRef
from profileviewer.insights import profile_summary
from profileviewer.insights.summary import churn_assessment
from tests.insights.fakes import NOW, FakeClient, event, meta, ordered

JOE = ProfileRef.parse("userId:qrc-117322")
SAM = ProfileRef.parse("email:sam.taylor@example.com")


def ago(**kwargs: float):
    return NOW - timedelta(**kwargs)


def emails(sent: int, opened: int, clicked: int = 0, days: int = 5):
    events = [event("email_sent", ago(days=days), email_id=f"E{i}") for i in range(sent)]
    events += [event("email_opened", ago(days=days - 1), email_id=f"E{i}") for i in range(opened)]
    events += [event("email_clicked", ago(days=days - 1), email_id=f"E{i}") for i in range(clicked)]
    return events


def test_an_active_buyer_who_reads_emails_is_low_risk_with_the_reasons_why():
    client = FakeClient(
        [
            ordered(ago(days=3), "A", total=40.5),
            ordered(ago(days=20), "B", total=9.5),
            *emails(4, 2, 1),
        ],
        [meta(last_activity=ago(hours=2), last_order=ago(days=3), subscribed=("email", "sms"))],
    )
    summary = profile_summary(client, JOE, now=NOW)
    assert summary.days_since_last_activity == 0
    assert summary.orders_90d == 2
    assert summary.revenue_90d == Decimal("50.0")
    assert summary.currency == "GBP"
    assert (summary.emails_sent_90d, summary.emails_opened_90d, summary.emails_clicked_90d) == (
        4,
        2,
        1,
    )
    assert summary.open_rate == 0.5
    assert summary.click_rate == 0.25
    assert summary.channels_subscribed == ["email", "sms"]
    assert summary.churn_risk == "low"
    assert summary.churn_reasons == ["Active today", "2 orders in the last 90 days"]


def test_orders_and_emails_older_than_90_days_are_not_counted():
    client = FakeClient(
        [ordered(ago(days=91), "A"), *emails(3, 3, days=100), ordered(ago(days=10), "B", total=5)],
        [meta(last_activity=ago(days=10), last_order=ago(days=10))],
    )
    summary = profile_summary(client, JOE, now=NOW)
    assert summary.orders_90d == 1
    assert summary.revenue_90d == Decimal(5)
    assert summary.emails_sent_90d == 0
    assert summary.open_rate is None


def test_opening_one_email_many_times_counts_once():
    repeat_opens = [event("email_opened", ago(days=2), email_id="E0") for _ in range(6)]
    client = FakeClient([*emails(2, 0), *repeat_opens], [meta(last_activity=ago(days=2))])
    summary = profile_summary(client, JOE, now=NOW)
    assert summary.emails_opened_90d == 1
    assert summary.open_rate == 0.5


def test_a_long_silence_alone_makes_the_risk_high():
    client = FakeClient([], [meta(last_activity=ago(days=120))])
    summary = profile_summary(client, JOE, now=NOW)
    assert summary.churn_risk == "high"
    assert summary.churn_reasons == ["No activity for 120 days"]


def test_a_lapsed_buyer_who_ignores_emails_is_medium_risk_with_each_reason():
    client = FakeClient(emails(5, 0), [meta(last_activity=ago(days=4), last_order=ago(days=150))])
    summary = profile_summary(client, JOE, now=NOW)
    assert summary.churn_risk == "medium"
    assert summary.churn_reasons == [
        "No order in the last 90 days (last order 150 days ago)",
        "Opened none of the 5 emails sent in the last 90 days",
    ]


def test_quiet_for_a_month_unreachable_and_lapsed_adds_up_to_high():
    client = FakeClient(
        [], [meta(last_activity=ago(days=45), last_order=ago(days=200), subscribed=())]
    )
    summary = profile_summary(client, JOE, now=NOW)
    assert summary.churn_risk == "high"
    assert summary.churn_reasons == [
        "No activity for 45 days",
        "No order in the last 90 days (last order 200 days ago)",
        "Not subscribed to any marketing channel",
    ]
    assert summary.channels_subscribed == []


def test_a_profile_with_no_activity_at_all_is_high_risk():
    client = FakeClient([], [meta(last_activity=None)])
    summary = profile_summary(client, JOE, now=NOW)
    assert summary.days_since_last_activity is None
    assert summary.churn_risk == "high"
    assert "No recorded activity" in summary.churn_reasons


def test_an_email_matching_two_profiles_merges_their_signals():
    client = FakeClient(
        [ordered(ago(days=5), "A", total=10)],
        [
            meta(profile_id="uk", last_activity=ago(days=60), subscribed=("sms",)),
            meta(profile_id="us", last_activity=ago(days=5), subscribed=("email",)),
        ],
    )
    summary = profile_summary(client, SAM, now=NOW)
    assert summary.days_since_last_activity == 5
    assert summary.channels_subscribed == ["email", "sms"]
    assert summary.churn_risk == "low"


def test_revenue_adds_only_orders_in_the_latest_orders_currency():
    client = FakeClient(
        [
            ordered(ago(days=2), "A", total=10, currency="GBP"),
            ordered(ago(days=9), "B", total=99, currency="USD"),
        ],
        [meta(last_activity=ago(days=2))],
    )
    summary = profile_summary(client, JOE, now=NOW)
    assert summary.orders_90d == 2
    assert (summary.revenue_90d, summary.currency) == (Decimal(10), "GBP")


def test_it_asks_upstream_only_for_the_actions_and_window_it_needs():
    client = FakeClient([], [meta(last_activity=ago(days=1))])
    profile_summary(client, JOE, now=NOW)
    queries = [q for kind, q in client.calls if kind == "events"]
    assert {q.include for q in queries} == {
        "order_completed",
        "email_sent",
        "email_opened",
        "email_clicked",
    }
    assert all(q.start == ago(days=90).replace(second=0, microsecond=0) for q in queries)


def test_summaries_within_the_same_minute_ask_upstream_the_same_queries():
    client = FakeClient([], [meta(last_activity=ago(days=1))])
    profile_summary(client, JOE, now=NOW + timedelta(seconds=5))
    profile_summary(client, JOE, now=NOW + timedelta(seconds=40))
    starts = {q.start for kind, q in client.calls if kind == "events"}
    assert len(starts) == 1


def test_an_order_just_outside_the_90_day_window_is_not_counted_even_if_fetched():
    exact = NOW + timedelta(seconds=30)
    client = FakeClient(
        [
            ordered(exact - timedelta(days=90, seconds=10), "A"),
            ordered(exact - timedelta(days=1), "B"),
        ],
        [meta(last_activity=ago(days=1))],
    )
    assert profile_summary(client, JOE, now=exact).orders_90d == 1


def test_an_unknown_profile_raises_not_found():
    with pytest.raises(NotFoundError):
        profile_summary(FakeClient([], []), JOE, now=NOW)


class SlowEventsClient(FakeClient):
    """Its event reads take a while; `finished` counts those that ended."""

    finished = 0

    def events(self, *args, **kwargs):
        time.sleep(0.2)
        page = super().events(*args, **kwargs)
        self.finished += 1
        return page


def test_an_unknown_profile_leaves_no_read_still_running_when_it_answers():
    # Its four event reads run beside the metadata read that finds no one: none may still
    # be asking upstream once the caller has its answer (a request that answered must not
    # go on using the upstream, or the database behind a sandbox).
    client = SlowEventsClient([], [])
    with pytest.raises(NotFoundError):
        profile_summary(client, JOE, now=NOW)
    assert client.finished == 4


@pytest.mark.parametrize(
    ("days", "expected"), [(29, "low"), (30, "medium"), (89, "medium"), (90, "high")]
)
def test_inactivity_thresholds_sit_at_30_and_90_days(days, expected):
    risk, _ = churn_assessment(
        days_inactive=days,
        orders_90d=0,
        last_order_days=None,
        emails_sent=0,
        emails_opened=0,
        channels=["email"],
    )
    assert risk == expected
