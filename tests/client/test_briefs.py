"""`event_briefs`: an events page read as what a timeline row shows (each event's id, action,
time and properties). It must ask what `events` asks, share its cached answer, and read
every answer as `events` reads those fields: the same briefs, or the same ProtocolError."""

import json

import pytest

from profileviewer.client import EventBrief, EventQuery, ProfileRef, ProtocolError
from profileviewer.client.transport import read_json
from profileviewer.client.types import Event, data_list, read_brief_page, scroll_id_of
from tests.client.conftest import REFUSED_EVENT_PAGES, ok

REF = ProfileRef("userId", "qrc-117322")


def event(n, **fields):
    return {
        "id": "p-1",
        "eventId": f"e{n}",
        "eventTime": "2026-01-01T00:00:00Z",
        "eventAction": "product_viewed",
        "source": "SEGMENT_API",
        "rawData": {
            "event": "Product Viewed",
            "context": {"ip": "192.0.2.1", "traits": {"email": "a@example.com"}},
            "properties": {"name": "Hip Pack", "price": 25.0, "n": n},
        },
        **fields,
    }


# Events as the contract allows them (PAPI-13, PAPI-16, PAPI-17): times with an offset, with
# no zone and with fractions; an action, an id or rawData missing or null; rawData without
# properties or with null ones; extra fields of any kind.
VARIED = [
    event(1),
    event(2, eventTime="2026-03-29T01:30:00+02:00", eventAction="order_completed"),
    event(3, eventTime="2026-01-01T10:00:00", eventAction=None, eventId=None),
    event(4, eventTime="2026-01-01T10:00:00.123456Z", extra={"deep": [1, 2.5, None, True]}),
    {key: value for key, value in event(5).items() if key not in ("eventAction", "eventId")},
    event(6, eventAction="Custom Thing", rawData=None),
    {key: value for key, value in event(7).items() if key != "rawData"},
    event(8, rawData={"event": None, "properties": None}),
    event(9, rawData={"properties": {"nested": {"a": [1, {"b": "c"}]}, "big": 2**70 + 1}}),
]


def briefs_as_events_reads_them(content: bytes) -> list[EventBrief]:
    """What the timeline showed before: each event read whole, then the fields a row shows."""
    body = read_json(content)
    events = [Event.from_json(item) for item in data_list(body, what="events")]
    scroll_id_of(body)
    return [EventBrief(e.event_id, e.action, e.event_time, e.properties) for e in events]


def exactly(briefs) -> list[tuple[str, str, str, str]]:
    """Briefs as text, so that 1, 1.0 and true differ, and so do one instant's zones."""
    return [
        (b.event_id, b.action, b.event_time.isoformat(), json.dumps(b.properties)) for b in briefs
    ]


def test_briefs_are_what_events_reads_of_each_event(hostile, client_for):  # PAPI-16, PAPI-17
    hostile.will(ok({"data": VARIED, "scrollId": "s-1"}))
    client = client_for()
    page = client.event_briefs(REF, offset=0, size=100)
    events = client.events(REF, offset=0, size=100, fresh=True).events
    assert exactly(page.events) == exactly(
        EventBrief(e.event_id, e.action, e.event_time, e.properties) for e in events
    )
    first = page.events[0]
    assert (first.event_id, first.action) == ("e1", "product_viewed")
    assert first.properties == {"name": "Hip Pack", "price": 25.0, "n": 1}
    assert page.events[1].event_time.isoformat() == "2026-03-28T23:30:00+00:00"  # PAPI-13
    assert [(b.event_id, b.action, b.properties) for b in page.events[4:8]] == [
        ("", "", {"name": "Hip Pack", "price": 25.0, "n": 5}),
        ("e6", "Custom Thing", {}),
        ("e7", "product_viewed", {}),
        ("e8", "product_viewed", {}),
    ]
    big = page.events[8].properties["big"]
    assert (type(big), big) == (int, 2**70 + 1)  # integers of any size, exactly


def test_briefs_ask_what_events_asks_and_share_its_cached_answer(hostile, client_for):
    hostile.will(ok({"data": [event(1), event(2)]}))
    client = client_for()
    query = EventQuery(include="product_viewed", sort="asc")  # PAPI-13
    client.events(REF, query, offset=100, size=50)
    briefs = client.event_briefs(REF, query, offset=100, size=50)
    assert len(hostile.requests) == 1  # the answer events kept
    assert [b.event_id for b in briefs.events] == ["e1", "e2"]
    client.event_briefs(REF, query, offset=100, size=50, fresh=True)
    assert hostile.requests[1]["path"] == hostile.requests[0]["path"]


def test_a_page_of_briefs_knows_the_next_page_and_the_window(hostile, client_for):  # PAPI-11
    hostile.will(ok({"data": [event(n) for n in range(50)]}))
    client = client_for()
    page = client.event_briefs(REF, offset=0, size=50)
    assert (page.next_offset, page.window_reached) == (50, False)
    page = client.event_briefs(REF, offset=9_950, size=50)
    assert (page.next_offset, page.window_reached) == (None, True)
    hostile.will(ok({"data": [event(1)]}))
    page = client.event_briefs(REF, offset=0, size=50, fresh=True)
    assert (page.next_offset, page.window_reached) == (None, False)


@pytest.mark.parametrize(
    "content",
    [
        json.dumps({"data": VARIED}).encode(),
        json.dumps({"data": [event(1)], "scrollId": ""}).encode(),
        json.dumps({"data": [event(1, eventAction=12, eventId=7)]}).encode(),  # numbers as text
        json.dumps({"data": [event(1, rawData={"event": 1.5, "properties": None})]}).encode(),
        b'{"data": [{"eventTime": "2026-01-01T00:00:00Z", "eventAction": "a",'
        b' "eventAction": "b"}]}',  # the last of two keys, as json.loads reads it
        b'{"data": [{"eventTime": "2026-01-01T00:00:00Z", "rawData": {"properties":'
        b' {"price": NaN}}}]}',  # json.loads reads NaN
        b'\xef\xbb\xbf{"data": [{"eventTime": "2026-01-01T00:00:00Z"}]}',  # a byte-order mark
        b'{"data": [{"eventTime": "2026-01-01T00:00:00Z", "rawData": {"properties":'
        b' {"note": "\\ud800 alone"}}}]}',
        b'{"data": [], "scrollId": null}',
    ],
)
def test_odd_answers_read_as_events_reads_them(content):
    assert exactly(read_brief_page(content, offset=0, size=100).events) == exactly(
        briefs_as_events_reads_them(content)
    )


def test_fields_a_brief_does_not_read_are_not_checked_either_way():
    # Event 2's receipt and context are not what events accepts; a brief does not read them,
    # whether the page decodes as expected or (event 1's numeric id, which the contract
    # allows) is read again field by field.
    odd = event(2, receivedTime="garbage", source=5)
    odd["rawData"] = {**odd["rawData"], "context": 5}
    for first in (event(1), event(1, eventId=7)):
        page = read_brief_page(json.dumps({"data": [first, odd]}).encode(), offset=0, size=50)
        assert [b.event_id for b in page.events] == [str(first["eventId"]), "e2"]
    with pytest.raises(ProtocolError, match="received time"):
        briefs_as_events_reads_them(json.dumps({"data": [odd]}).encode())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        *REFUSED_EVENT_PAGES,
        (b'{"data": [{"eventTime": "2026-01-01T00:00:00Z", "eventId": true}]}', "wrong type"),
        (b'{"data": [{"eventTime": "2026-01-01T00:00:00Z", "rawData": [1]}]}', "rawData"),
        (
            b'{"data": [{"eventTime": "2026-01-01T00:00:00Z", "rawData": {"properties": "x"}}]}',
            "event properties",
        ),
    ],
)
def test_answers_events_refuses_are_refused_alike(content, message):
    with pytest.raises(ProtocolError, match=message) as refused:
        read_brief_page(content, offset=0, size=100)
    with pytest.raises(ProtocolError) as also:
        briefs_as_events_reads_them(content)
    assert refused.value.message == also.value.message
