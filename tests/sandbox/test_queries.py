"""What the events page shows of the database's values (times, uuids), and the profile look-up."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from profileviewer.sandbox.models import Event
from profileviewer.sandbox.params import Ref
from profileviewer.sandbox.queries import profiles_for
from profileviewer.sandbox.store import NewEvent, add_events
from tests.sandbox.factories import api_fixture, make_profile  # noqa: F401


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_event_times_keep_their_milliseconds_over_http(api):  # PAPI-17
    profile = make_profile(external_id="precise")
    base = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    micros = [0, 1_000, 123_456, 999_999]
    add_events(profile, [NewEvent("page_viewed", base + timedelta(microseconds=m)) for m in micros])
    body = api.events("userId:precise", sort="asc").json()
    # Milliseconds cut, never rounded (.999999 stays in its second).
    assert [e["eventTime"] for e in body["data"]] == [
        "2026-03-01T09:00:00.000Z",
        "2026-03-01T09:00:00.001Z",
        "2026-03-01T09:00:00.123Z",
        "2026-03-01T09:00:00.999Z",
    ]
    assert body["data"][-1]["receivedTime"] == "2026-03-01T09:00:01.449Z"


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_event_times_written_in_another_zone_are_given_in_utc(api):  # PAPI-17
    profile = make_profile(external_id="abroad")
    paris = timezone(timedelta(hours=1))
    add_events(profile, [NewEvent("page_viewed", datetime(2026, 1, 2, 4, 4, 5, 1000, paris))])
    [event] = api.events("userId:abroad").json()["data"]
    assert event["eventTime"] == "2026-01-02T03:04:05.001Z"
    assert event["receivedTime"] == "2026-01-02T03:04:05.451Z"


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_event_and_profile_ids_are_canonical_uuids(api):  # PAPI-17
    profile = make_profile(external_id="ids", email="ids@example.com")
    base = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    add_events(profile, [NewEvent("page_viewed", base + timedelta(minutes=m)) for m in range(3)])
    data = api.events("userId:ids").json()["data"]
    stored = {str(value) for value in Event.objects.values_list("event_id", flat=True)}
    assert {e["eventId"] for e in data} == stored and len(stored) == 3
    for event in data:
        for text in (event["eventId"], event["id"], event["customerId"]):
            assert text == str(uuid.UUID(text))  # lower-case hex in 8-4-4-4-12 groups
        assert event["id"] == event["customerId"] == str(profile.pk)
    by_email = api.events("email:ids@example.com").json()["data"]
    assert {e["eventId"] for e in by_email} == stored


@pytest.mark.django_db
@pytest.mark.postgres
def test_a_look_up_by_email_gives_every_profile_most_recently_active_first():  # PAPI-14
    idle = make_profile(external_id="idle", email="shared@example.com")
    older = make_profile(external_id="older", email="shared@example.com")
    newer = make_profile(external_id="newer", email="shared@example.com")
    make_profile(external_id="other", email="other@example.com")
    add_events(older, [NewEvent("page_viewed", datetime(2026, 1, 1, tzinfo=UTC))])
    add_events(newer, [NewEvent("page_viewed", datetime(2026, 2, 1, tzinfo=UTC))])
    found = profiles_for(Ref("email", "shared@example.com"))
    assert [profile.pk for profile in found] == [newer.pk, older.pk, idle.pk]
    assert found[0].traits == newer.traits  # every column loaded
    assert profiles_for(Ref("userId", "nobody")) == []


@pytest.mark.django_db
@pytest.mark.postgres
def test_a_summary_look_up_loads_only_the_ids_and_email():
    profile = make_profile(external_id="qrc-1", email="ada@example.com")
    [found] = profiles_for(Ref("id", str(profile.pk)), summary_only=True)
    assert (found.pk, found.external_id, found.email) == (profile.pk, "qrc-1", "ada@example.com")
    assert isinstance(found.pk, uuid.UUID)
    assert "traits" in found.get_deferred_fields()
