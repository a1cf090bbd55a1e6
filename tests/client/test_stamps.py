"""`event_stamps`: an events page read as each event's action and time only (the activity
chart counts hundreds of events by day and action). It must ask what `events` asks, share
its cached answer, and read every answer as `events` reads those two fields: same stamps,
or the same ProtocolError."""

import json
import threading

import pytest

from profileviewer.client import (
    BriefPage,
    EventQuery,
    EventStamp,
    ProfileRef,
    ProtocolError,
    StampPage,
)
from profileviewer.client.transport import read_json
from profileviewer.client.types import (
    Event,
    data_list,
    read_brief_page,
    read_stamp_page,
    scroll_id_of,
)
from tests.client.conftest import REFUSED_EVENT_PAGES, ok, slow

REF = ProfileRef("userId", "qrc-117322")


def event(n, **fields):
    return {
        "id": "p-1",
        "eventId": f"e{n}",
        "eventTime": "2026-01-01T00:00:00Z",
        "eventAction": "page_viewed",
        "rawData": {"event": "Page Viewed", "properties": {"n": n}},
        **fields,
    }


# Events as the contract allows them (PAPI-13, PAPI-16, PAPI-17): times with an offset, with
# no zone (UTC) and with fractions; an action missing or null; extra fields of any kind.
VARIED = [
    event(1),
    event(2, eventTime="2026-03-29T01:30:00+02:00", eventAction="order_completed"),
    event(3, eventTime="2026-01-01T10:00:00", eventAction=None),
    event(4, eventTime="2026-01-01T10:00:00.123456Z", extra={"deep": [1, 2.5, None, True]}),
    {key: value for key, value in event(5).items() if key != "eventAction"},
    event(6, eventAction="Custom Thing", rawData=None),
]


def stamps_as_events_reads_them(content: bytes) -> list[EventStamp]:
    """What the activity chart counted before: each event read whole, then its two fields."""
    body = read_json(content)
    events = [Event.from_json(item) for item in data_list(body, what="events")]
    scroll_id_of(body)
    return [EventStamp(e.action, e.event_time) for e in events]


def test_stamps_are_each_events_action_and_time(hostile, client_for):  # PAPI-16, PAPI-17
    hostile.will(ok({"data": VARIED, "scrollId": "s-1"}))
    client = client_for()
    page = client.event_stamps(REF, offset=0, size=100)
    events = client.events(REF, offset=0, size=100, fresh=True)
    assert list(page.stamps) == [EventStamp(e.action, e.event_time) for e in events.events]
    assert [s.action for s in page.stamps][:3] == ["page_viewed", "order_completed", ""]
    assert page.stamps[1].event_time.isoformat() == "2026-03-28T23:30:00+00:00"  # PAPI-13


def test_stamps_ask_what_events_asks_and_share_its_cached_answer(hostile, client_for):
    hostile.will(ok({"data": [event(1), event(2)]}))
    client = client_for()
    query = EventQuery(include="page_viewed", sort="asc")  # PAPI-13
    client.events(REF, query, offset=100, size=50)
    stamps = client.event_stamps(REF, query, offset=100, size=50)
    assert len(hostile.requests) == 1  # the answer events kept
    assert len(stamps.stamps) == 2
    client.event_stamps(REF, query, offset=100, size=50, fresh=True)
    assert hostile.requests[1]["path"] == hostile.requests[0]["path"]


def test_a_full_page_of_stamps_has_a_next_page_until_the_window(hostile, client_for):  # PAPI-11
    hostile.will(ok({"data": [event(n) for n in range(100)]}))
    client = client_for()
    assert client.event_stamps(REF, offset=0, size=100).next_offset == 100
    assert client.event_stamps(REF, offset=9_900, size=100).next_offset is None
    hostile.will(ok({"data": [event(1)]}))
    assert client.event_stamps(REF, offset=0, size=50, fresh=True).next_offset is None


def test_readings_of_one_request_in_flight_together_each_get_their_own(hostile, client_for):
    # One request, three readings of it at once: none may be handed another's result.
    hostile.will(slow(0.3, ok({"data": [event(1)]})))
    client = client_for()
    results: dict[str, object] = {}

    def fetch(name):
        results[name] = getattr(client, name)(REF, offset=0, size=100)

    threads = [
        threading.Thread(target=fetch, args=(name,))
        for name in ("events", "event_stamps", "event_briefs")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert isinstance(results["event_stamps"], StampPage)
    assert isinstance(results["event_briefs"], BriefPage)
    assert results["events"].events[0].raw["rawData"]["properties"] == {"n": 1}


# An event as the sandbox writes one (docs/demo-data.md), every field filled.
AS_WRITTEN = {
    "id": "4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe",
    "externalId": "qrc-117322",
    "email": "joe.bloggs@example.com",
    "eventId": "2e57f386-75ee-40d3-b8d0-d3c18a8ace6e",
    "eventTime": "2026-12-05T14:32:17.841Z",
    "receivedTime": "2026-12-05T14:32:18.042Z",
    "eventAction": "added_to_cart",
    "clientId": "demo",
    "accountId": "demo",
    "brandId": "DEMO",
    "customerId": "4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe",
    "userId": "qrc-117322",
    "source": "SEGMENT_API",
    "rawData": {
        "userId": "qrc-117322",
        "action": "track",
        "event": "Added To Cart",
        "context": {"ip": "192.0.2.184", "user_agent": "Mozilla/5.0", "traits": {"n": 1}},
        "properties": {"product_id": "NW-BAG-0128", "name": "Hip Pack", "price": 25.0},
        "timestamp": "2026-12-05T14:32:17.841Z",
    },
}


@pytest.mark.parametrize(
    ("read", "events_of"),
    [(read_stamp_page, lambda page: page.stamps), (read_brief_page, lambda page: page.events)],
)
def test_a_page_as_the_api_writes_it_is_read_without_reading_it_whole(read, events_of, monkeypatch):
    # The readers are there to skip the work of reading every event whole: a page as the
    # API writes it must not fall back to that.
    def whole(content):
        raise AssertionError("read whole")

    monkeypatch.setattr("profileviewer.client.types.read_json", whole)
    content = json.dumps({"data": [AS_WRITTEN] * 50, "scrollId": "s-1"}).encode()
    assert len(events_of(read(content, offset=0, size=50))) == 50


@pytest.mark.parametrize(
    "content",
    [
        json.dumps({"data": VARIED}).encode(),
        json.dumps({"data": [event(1)], "scrollId": ""}).encode(),
        json.dumps({"data": [event(1, eventAction=12)]}).encode(),  # a number reads as text
        json.dumps({"data": [event(1, eventAction=1.5)]}).encode(),
        b'{"data": [{"eventTime": "2026-01-01T00:00:00Z", "eventAction": "a",'
        b' "eventAction": "b"}]}',  # the last of two keys, as json.loads reads it
        b'{"data": [{"eventTime": "2026-01-01T00:00:00Z", "n": NaN}]}',  # json.loads reads NaN
        b'\xef\xbb\xbf{"data": [{"eventTime": "2026-01-01T00:00:00Z"}]}',  # a byte-order mark
        b'{"data": [{"eventTime": "2026-01-01T00:00:00Z", "note": "\\ud800 alone"}]}',
        b'{"data": [], "scrollId": null}',
    ],
)
def test_odd_answers_read_as_events_reads_them(content):
    assert list(read_stamp_page(content, offset=0, size=100).stamps) == (
        stamps_as_events_reads_them(content)
    )


@pytest.mark.parametrize(("content", "message"), REFUSED_EVENT_PAGES)
def test_answers_events_refuses_are_refused_alike(content, message):
    with pytest.raises(ProtocolError, match=message) as refused:
        read_stamp_page(content, offset=0, size=100)
    with pytest.raises(ProtocolError) as also:
        stamps_as_events_reads_them(content)
    assert refused.value.message == also.value.message


@pytest.mark.parametrize("reading", ["event_stamps", "event_briefs"])
def test_an_unreadable_answer_is_a_protocol_error_with_its_status_and_request_id(
    hostile, client_for, reading
):
    hostile.will(ok(None, raw=b'{"data": [', request_id="rq-bad"))
    with pytest.raises(ProtocolError, match="could not be read") as caught:
        getattr(client_for(), reading)(REF)
    assert caught.value.request_id == "rq-bad"
    assert caught.value.http_status == 200
