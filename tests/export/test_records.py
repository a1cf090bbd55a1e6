"""Rendering and event collection, with the in-memory fake client (no HTTP needed)."""

import csv
import io
import json
from dataclasses import replace
from datetime import timedelta

import pytest

from profileviewer.client import ProfileRef
from profileviewer.export.records import header, profile_events, render
from tests.insights.fakes import NOW, FakeClient, event, traits

REF = ProfileRef("id", "4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe")


def test_every_event_is_collected_past_the_10000_event_window_oldest_first():
    # 10,250 events, three of them sharing the millisecond where the first window ends.
    events = [event("page_viewed", NOW - timedelta(seconds=i)) for i in range(10_250)]
    boundary = events[9_999].event_time
    events += [event("page_viewed", boundary) for _ in range(2)]
    client = FakeClient(events)
    collected = profile_events(client, REF, None)
    ids = [e["eventId"] for e in collected]
    assert len(ids) == len(set(ids)) == 10_252
    assert set(ids) == {e.event_id for e in events}
    times = [e["eventTime"] for e in collected]
    assert times == sorted(times)


def test_only_events_after_since_are_collected():
    client = FakeClient([event("logged_in", NOW - timedelta(days=d)) for d in range(10)])
    since = NOW - timedelta(days=3, hours=12)
    collected = profile_events(client, REF, since)
    assert len(collected) == 4
    assert all(q.start == since for _, q in client.calls)


def test_a_jsonl_line_holds_the_profile_and_its_events():
    line = render("jsonl", traits(), [{"eventId": "e1"}])
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == {"profile": {}, "events": [{"eventId": "e1"}]}


def test_a_csv_row_has_one_column_per_header_field():
    head = header("csv", with_events=True).decode()
    row = render("csv", traits(subscribed=("sms",)), [{"eventId": "e1"}, {"eventId": "e2"}])
    columns, values = (
        next(csv.reader(io.StringIO(head))),
        next(csv.reader(io.StringIO(row.decode()))),
    )
    record = dict(zip(columns, values, strict=True))
    assert record["firstName"] == "Ada"
    assert (record["emailSubscribed"], record["smsSubscribed"]) == ("false", "true")
    assert record["eventCount"] == "2"
    assert json.loads(record["events"]) == [{"eventId": "e1"}, {"eventId": "e2"}]


def test_a_large_profiles_pages_fetched_side_by_side_give_the_same_events():
    from concurrent.futures import ThreadPoolExecutor

    events = [event("page_viewed", NOW - timedelta(seconds=i)) for i in range(1_050)]
    one_by_one = profile_events(FakeClient(list(events)), REF, None)
    client = FakeClient(list(events))
    with ThreadPoolExecutor(max_workers=4) as pool:
        side_by_side = profile_events(client, REF, None, pages_pool=pool, batch=4)
    assert side_by_side == one_by_one
    assert len(side_by_side) == 1_050
    # 11 pages hold the events: 4 one at a time, then rounds of 4, the last asking for one
    # page past the end.
    assert len(client.calls) == 12


@pytest.mark.parametrize(("count", "pages"), [(99, 1), (150, 2), (250, 3), (399, 4)])
def test_a_profile_of_up_to_four_pages_costs_no_extra_request(count, pages):
    from concurrent.futures import ThreadPoolExecutor

    client = FakeClient([event("page_viewed", NOW - timedelta(seconds=i)) for i in range(count)])
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert len(profile_events(client, REF, None, pages_pool=pool)) == count
    assert len(client.calls) == pages


def test_events_without_an_event_id_are_all_kept():
    events = [event("page_viewed", NOW - timedelta(minutes=i)) for i in range(3)]
    anonymous = [
        replace(e, event_id="", raw={k: v for k, v in e.raw.items() if k != "eventId"})
        for e in events
    ]
    collected = profile_events(FakeClient(anonymous), REF, None)
    assert len(collected) == 3
    assert [e["eventTime"] for e in collected] == sorted(e.raw["eventTime"] for e in events)
