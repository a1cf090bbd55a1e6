"""Parsing the upstream's shapes into typed results (PAPI-14..18)."""

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from profileviewer.client import (
    Event,
    EventPage,
    EventQuery,
    ExternalId,
    Meta,
    ProtocolError,
    Traits,
)
from profileviewer.client.transport import UnreadableAnswer
from profileviewer.client.types import read_event_page

JOE = {
    "lastName": "Bloggs",
    "website": "",
    "externalId": "qrc-117322",
    "organisation": "Intilery",
    "industry": "Other",
    "firstName": "Joe",
    "phone": "+44111222333444",
    "id": "4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe",
    "marketingPreferences": {
        "channels": [
            {"subscribed": True, "channel": "email"},
            {"subscribed": False, "channel": "sms"},
        ]
    },
    "email": "joe.bloggs@example.com",
    "plan": "pro",
    "lifetimeValue": 123.5,
}


def test_traits_keep_known_fields_custom_traits_and_raw():  # PAPI-15
    traits = Traits.from_json(JOE)
    assert traits.first_name == "Joe"
    assert traits.external_id == "qrc-117322"
    assert [(c.channel, c.subscribed) for c in traits.channels] == [("email", True), ("sms", False)]
    assert traits.custom == {"plan": "pro", "lifetimeValue": 123.5}
    assert traits.raw is JOE


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({}, "Joe Bloggs"),
        ({"firstName": "", "lastName": ""}, "joe.bloggs@example.com"),
        ({"firstName": "", "lastName": "", "email": ""}, "qrc-117322"),
        (
            {"firstName": "", "lastName": "", "email": "", "externalId": ""},
            "4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe",
        ),
    ],
)
def test_display_name_falls_back_from_name_to_email_to_ids(changes, name):
    assert Traits.from_json({**JOE, **changes}).display_name == name


def test_traits_with_missing_optional_fields_parse_to_empty_strings():
    traits = Traits.from_json({"id": "x"})
    assert traits.first_name == "" and traits.channels == ()


@pytest.mark.parametrize(
    "bad",
    [[], "joe", {"firstName": {"nested": 1}}, {"marketingPreferences": {"channels": "email"}}],
)
def test_a_wrongly_shaped_profile_is_a_protocol_error(bad):
    with pytest.raises(ProtocolError):
        Traits.from_json(bad)


def test_meta_separates_metadata_from_traits():  # PAPI-18
    raw = {
        **JOE,
        "_subscriptionId": "c3Vi",
        "createdBy": {
            "filename": "staff listaug20.csv",
            "createdTime": "2020-08-24T15:54:15.323Z",
            "type": "audience-csv",
        },
        "firstEvent": {"email_sent": {"eventId": "e1", "eventTime": "2020-10-20T13:49:41.697Z"}},
        "lastEvent": {"email_opened": {"eventId": "e2"}},
        "audiencesStatic": ["audience_board"],
        "lastActivityTime": "2020-11-19T13:39:17.380Z",
    }
    meta = Meta.from_json(raw)
    assert meta.traits.display_name == "Joe Bloggs"
    assert "_subscriptionId" not in meta.traits.custom
    assert meta.created_by is not None and meta.created_by.filename == "staff listaug20.csv"
    assert meta.created_by.created_time == datetime(2020, 8, 24, 15, 54, 15, 323000, tzinfo=UTC)
    assert meta.first_events["email_sent"]["eventId"] == "e1"
    assert meta.audiences == ("audience_board",)
    assert meta.last_activity_time == datetime(2020, 11, 19, 13, 39, 17, 380000, tzinfo=UTC)


EVENT = {
    "id": "4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe",
    "eventId": "ec717144-924c-4826-981b-848459c39176",
    "eventTime": "2020-11-19T13:39:17.380Z",
    "receivedTime": "2020-11-19T13:39:17.912Z",
    "eventAction": "email_opened",
    "source": "SEGMENT_API",
    "rawData": {
        "event": "Email Opened",
        "context": {"ip": ""},
        "properties": {"campaign_id": "TRIAL_WELCOME"},
    },
}


def page_of(*events, **fields) -> bytes:
    return json.dumps({"data": list(events), **fields}).encode()


def read_one(event, *, raw=False) -> Event:
    events, _ = read_event_page(page_of(event), raw=raw)
    [read] = events
    return read


# Both readings of an answer (``events()`` and ``events(raw=True)``) must agree on every
# field an Event names and on its type rules: the timeline and a row's raw event are the
# same answer, read two ways.
BOTH = pytest.mark.parametrize("raw", [False, True], ids=["typed", "raw"])


@BOTH
def test_event_exposes_action_name_times_and_properties(raw):  # PAPI-17
    event = read_one(EVENT, raw=raw)
    assert event.profile_id == "4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe"
    assert event.event_id == "ec717144-924c-4826-981b-848459c39176"
    assert event.action == "email_opened"
    assert event.name == "Email Opened"
    assert event.event_time == datetime(2020, 11, 19, 13, 39, 17, 380000, tzinfo=UTC)
    assert event.received_time == datetime(2020, 11, 19, 13, 39, 17, 912000, tzinfo=UTC)
    assert event.source == "SEGMENT_API"
    assert event.properties == {"campaign_id": "TRIAL_WELCOME"}


def test_only_a_raw_reading_keeps_each_event_as_the_api_sent_it():  # PAPI-16
    extra = {**EVENT, "clientId": "demo", "rawData": {**EVENT["rawData"], "userId": "qrc-1"}}
    content = page_of(extra, EVENT, scrollId="s-1")
    typed, typed_scroll = read_event_page(content, raw=False)
    kept, kept_scroll = read_event_page(content, raw=True)
    assert [e.raw for e in typed] == [None, None]
    assert [e.raw for e in kept] == [extra, EVENT]
    assert [replace(e, raw=None) for e in kept] == list(typed)
    assert typed_scroll == kept_scroll == "s-1"


@pytest.mark.parametrize("scroll", [None, ""])
def test_a_page_without_a_scroll_id_has_none(scroll):  # PAPI-16
    for raw in (False, True):
        assert read_event_page(page_of(EVENT, scrollId=scroll), raw=raw)[1] is None
        assert read_event_page(page_of(), raw=raw) == ((), None)


def test_a_customer_id_stands_in_for_a_missing_profile_id():
    event = {key: value for key, value in EVENT.items() if key != "id"}
    assert read_one({**event, "customerId": "c-1"}).profile_id == "c-1"


@BOTH
def test_an_event_with_only_a_time_reads_with_empty_fields(raw):  # PAPI-16: all else optional
    event = read_one({"eventTime": "2020-11-19T13:39:17Z", "eventAction": None}, raw=raw)
    assert (event.event_id, event.action, event.name, event.source) == ("", "", "", "")
    assert (event.properties, event.received_time) == ({}, None)


@BOTH
def test_event_time_without_a_zone_is_utc(raw):  # PAPI-13
    event = read_one({**EVENT, "eventTime": "2020-11-19T13:39:17"}, raw=raw)
    assert event.event_time == datetime(2020, 11, 19, 13, 39, 17, tzinfo=UTC)


@BOTH
@pytest.mark.parametrize(
    "when", [None, "", "yesterday", 12, "0001-01-01T00:00:00+14:00", "9999-12-31T23:59-12:00"]
)
def test_event_without_a_readable_time_is_a_protocol_error(when, raw):
    with pytest.raises(ProtocolError, match=r"(?i)time"):
        read_one({**EVENT, "eventTime": when}, raw=raw)


@BOTH
def test_event_times_with_an_offset_are_converted_to_utc(raw):  # PAPI-13
    event = read_one(
        {**EVENT, "eventTime": "2020-11-19T14:39:17+01:00", "receivedTime": "2020-11-19T08:39Z"},
        raw=raw,
    )
    assert event.event_time == datetime(2020, 11, 19, 13, 39, 17, tzinfo=UTC)
    assert event.event_time.utcoffset() == timedelta(0)
    assert event.received_time == datetime(2020, 11, 19, 8, 39, tzinfo=UTC)


@BOTH
@pytest.mark.parametrize("received", [None, ""])
def test_an_event_without_a_received_time_has_none(received, raw):
    assert read_one({**EVENT, "receivedTime": received}, raw=raw).received_time is None
    missing = {key: value for key, value in EVENT.items() if key != "receivedTime"}
    assert read_one(missing, raw=raw).received_time is None


@BOTH
def test_an_unreadable_received_time_is_a_protocol_error(raw):
    with pytest.raises(ProtocolError, match="received time"):
        read_one({**EVENT, "receivedTime": "soon"}, raw=raw)


@BOTH
@pytest.mark.parametrize("context", ["x", [1], {"ip": "", "traits": {"phone": "+44"}}])
def test_an_events_context_is_not_read_whatever_it_holds(context, raw):
    # Nothing shows it: the raw event (read whole when a row is opened) is where it is seen.
    event = read_one({**EVENT, "rawData": {**EVENT["rawData"], "context": context}}, raw=raw)
    assert event.properties == {"campaign_id": "TRIAL_WELCOME"}
    if raw:
        assert event.raw["rawData"]["context"] == context


def test_an_event_read_for_counting_has_its_time_and_action_only():
    # events(properties=False), as the activity chart reads: rawData is skipped unread.
    events, _ = read_event_page(page_of({**EVENT, "rawData": "not an object"}), raw=False,
                                properties=False)  # fmt: skip
    [event] = events
    assert (event.action, event.event_id, event.source) == (
        "email_opened",
        "ec717144-924c-4826-981b-848459c39176",
        "SEGMENT_API",
    )
    assert event.event_time == datetime(2020, 11, 19, 13, 39, 17, 380000, tzinfo=UTC)
    assert (event.name, event.properties) == ("", {})


@pytest.mark.parametrize("when", [None, "yesterday", 12])
def test_an_event_read_for_counting_still_needs_a_readable_time(when):
    with pytest.raises(ProtocolError, match=r"(?i)time"):
        read_event_page(page_of({**EVENT, "eventTime": when}), raw=False, properties=False)


@BOTH
def test_an_event_without_raw_data_has_empty_properties(raw):
    event = read_one({**EVENT, "rawData": None}, raw=raw)
    assert (event.name, event.properties) == ("", {})


@BOTH
@pytest.mark.parametrize(
    ("event", "where"),
    [
        (["not", "an", "object"], "$.data[0]`"),
        (None, "$.data[0]`"),
        ({**EVENT, "rawData": "text"}, "$.data[0].rawData`"),
        ({**EVENT, "rawData": {"properties": [1, 2]}}, "$.data[0].rawData.properties`"),
        ({**EVENT, "rawData": {"event": 7}}, "$.data[0].rawData.event`"),
        # Identifiers and names are text or null; a number is not read as text.
        ({**EVENT, "eventAction": 12}, "$.data[0].eventAction`"),
        ({**EVENT, "eventAction": True}, "$.data[0].eventAction`"),
        ({**EVENT, "eventId": 1.5}, "$.data[0].eventId`"),
        ({**EVENT, "source": ["a"]}, "$.data[0].source`"),
        ({**EVENT, "id": {"x": 1}}, "$.data[0].id`"),
    ],
)
def test_an_event_of_the_wrong_shape_is_a_protocol_error_saying_where(event, where, raw):
    with pytest.raises(ProtocolError, match=re.escape(where)) as caught:
        read_event_page(page_of(event), raw=raw)
    assert not isinstance(caught.value, UnreadableAnswer)  # readable JSON, wrong shape


@BOTH
@pytest.mark.parametrize(
    "content",
    [
        b"[1, 2]",
        b'{"scrollId": "x", "events": []}',
        b'{"data": {"eventTime": "2020-11-19T13:39:17Z"}}',
        b'{"data": null}',
    ],
)
def test_a_page_without_a_data_list_is_a_protocol_error(content, raw):  # PAPI-16
    with pytest.raises(ProtocolError, match="events") as caught:
        read_event_page(content, raw=raw)
    assert not isinstance(caught.value, UnreadableAnswer)


@BOTH
def test_a_scroll_id_that_is_not_text_is_a_protocol_error(raw):
    with pytest.raises(ProtocolError, match="scrollId"):
        read_event_page(page_of(EVENT, scrollId=5), raw=raw)


@BOTH
@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"<html>502 Bad Gateway</html>",
        b'{"data": [',
        b'{"data": []}x',
        # Invalid UTF-8, even in a field an Event does not name (JSON is UTF-8 throughout).
        b'{"data": [{"eventTime": "2020-11-19T13:39:17Z", "x": "\xff"}]}',
        b'{"data": [{"eventTime": "2020-11-19T13:39:17Z", "x": "\xc3"}]}',
        b'{"data": [{"eventTime": "2020-11-19T13:39:17Z", "rawData": {"event": "\xed\xa0"}}]}',
        # Nested past any parser's depth, in a field an Event does not name.
        b'{"data": [{"eventTime": "2020-11-19T13:39:17Z", "x": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}]}",
    ],
)
def test_a_body_that_is_not_readable_json_is_an_unreadable_answer(content, raw):
    with pytest.raises(UnreadableAnswer, match="could not be read"):
        read_event_page(content, raw=raw)


def test_external_id_reads_type_value_and_profile():
    ext = ExternalId.from_json(
        {"id": "+4411", "type": "phone", "profileId": "p1", "createdTime": "2020-01-01T00:00:00Z"}
    )
    assert (ext.type, ext.value, ext.profile_id) == ("phone", "+4411", "p1")


def test_event_query_becomes_the_documented_parameters():  # PAPI-13
    query = EventQuery(
        include="page",
        exclude=("logged_in", "identify"),
        start=datetime(2026, 1, 2),
        end=datetime(2026, 1, 3, tzinfo=UTC),
        sort="asc",
    )
    assert query.params() == {
        "include": "page",
        "exclude": "logged_in,identify",
        "start": "2026-01-02T00:00:00.000Z",
        "end": "2026-01-03T00:00:00.000Z",
        "sort": "asc",
    }


def page(offset, size, count):
    return EventPage(events=(read_one(EVENT),) * count, offset=offset, size=size)


def test_a_full_page_points_to_the_next():  # PAPI-11
    assert page(0, 100, 100).next_offset == 100
    assert not page(0, 100, 100).window_reached


def test_a_short_page_is_the_end():
    assert page(200, 100, 40).next_offset is None
    assert not page(200, 100, 40).window_reached


def test_a_full_page_at_the_window_stops_and_says_more_may_exist():  # PAPI-11
    last = page(9900, 100, 100)
    assert last.next_offset is None
    assert last.window_reached
