"""Parsing the upstream's shapes into typed results (PAPI-14..18)."""

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


def test_event_exposes_action_name_times_and_properties():  # PAPI-17
    event = Event.from_json(EVENT)
    assert event.action == "email_opened"
    assert event.name == "Email Opened"
    assert event.event_time == datetime(2020, 11, 19, 13, 39, 17, 380000, tzinfo=UTC)
    assert event.properties == {"campaign_id": "TRIAL_WELCOME"}


def test_event_time_without_a_zone_is_utc():  # PAPI-13
    event = Event.from_json({**EVENT, "eventTime": "2020-11-19T13:39:17"})
    assert event.event_time.tzinfo is UTC


@pytest.mark.parametrize(
    "when", [None, "", "yesterday", 12, "0001-01-01T00:00:00+14:00", "9999-12-31T23:59-12:00"]
)
def test_event_without_a_readable_time_is_a_protocol_error(when):
    with pytest.raises(ProtocolError):
        Event.from_json({**EVENT, "eventTime": when})


def test_event_times_with_an_offset_are_converted_to_utc():  # PAPI-13
    event = Event.from_json(
        {**EVENT, "eventTime": "2020-11-19T14:39:17+01:00", "receivedTime": "2020-11-19T08:39Z"}
    )
    assert event.event_time == datetime(2020, 11, 19, 13, 39, 17, tzinfo=UTC)
    assert event.event_time.utcoffset() == timedelta(0)
    assert event.received_time == datetime(2020, 11, 19, 8, 39, tzinfo=UTC)


@pytest.mark.parametrize("received", [None, ""])
def test_an_event_without_a_received_time_has_none(received):
    assert Event.from_json({**EVENT, "receivedTime": received}).received_time is None
    missing = {key: value for key, value in EVENT.items() if key != "receivedTime"}
    assert Event.from_json(missing).received_time is None


def test_an_unreadable_received_time_is_a_protocol_error():
    with pytest.raises(ProtocolError, match="received time"):
        Event.from_json({**EVENT, "receivedTime": "soon"})


def test_an_event_without_raw_data_has_empty_properties_and_context():
    event = Event.from_json({**EVENT, "rawData": None})
    assert (event.name, event.properties, event.context) == ("", {}, {})


@pytest.mark.parametrize(
    ("event", "what"),
    [
        (["not", "an", "object"], "an event that"),
        ({**EVENT, "rawData": "text"}, "rawData"),
        ({**EVENT, "rawData": {"properties": [1, 2]}}, "event properties"),
        ({**EVENT, "rawData": {"context": "x"}}, "event context"),
    ],
)
def test_an_event_of_the_wrong_shape_is_a_protocol_error(event, what):
    with pytest.raises(ProtocolError, match=what):
        Event.from_json(event)


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
    return EventPage(
        events=(Event.from_json(EVENT),) * count, offset=offset, size=size, scroll_id=None
    )


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
