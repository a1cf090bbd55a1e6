"""The events page's wire formatting of raw database values (queries.uuid_text, iso_text)."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from profileviewer.sandbox.params import Ref
from profileviewer.sandbox.queries import iso_text, profiles_for, uuid_text
from profileviewer.sandbox.store import NewEvent, add_events, iso
from tests.sandbox.factories import api_fixture, make_profile  # noqa: F401


@pytest.mark.parametrize(
    "value,expected",
    [
        (datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), "2026-01-02T03:04:05.678Z"),
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "2026-01-02T03:04:05.000Z"),
        (datetime(2026, 1, 2, 3, 4, 5, 999999), "2026-01-02T03:04:05.999Z"),
        (datetime(2026, 1, 2, 3, 4, 5), "2026-01-02T03:04:05.000Z"),
        (
            datetime(2026, 1, 2, 4, 4, 5, 1000, tzinfo=timezone(timedelta(hours=1))),
            "2026-01-02T03:04:05.001Z",
        ),
        ("2026-01-02 03:04:05.678901", "2026-01-02T03:04:05.678Z"),
        ("2026-01-02 03:04:05", "2026-01-02T03:04:05.000Z"),
        ("2026-01-02T03:04:05.5+00:00", "2026-01-02T03:04:05.500Z"),
    ],
)
def test_database_timestamps_become_the_api_format(value, expected):  # PAPI-17
    assert iso_text(value) == expected


def test_timestamps_match_store_iso_to_the_millisecond():
    start = datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC)
    for step in range(0, 5_000_000, 12_347):
        moment = start + timedelta(microseconds=step)
        naive = moment.replace(tzinfo=None)
        assert iso_text(moment) == iso_text(naive.isoformat(" ")) == iso(moment)
        assert iso_text(naive) == iso(moment)


def test_database_uuids_become_canonical_text():
    value = uuid.uuid4()
    assert uuid_text(value) == uuid_text(value.hex) == uuid_text(str(value)) == str(value)


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_event_times_keep_their_milliseconds_over_http(api):  # PAPI-17
    profile = make_profile(external_id="precise")
    base = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    micros = [0, 1_000, 123_456, 999_999]
    add_events(profile, [NewEvent("page_viewed", base + timedelta(microseconds=m)) for m in micros])
    body = api.events("userId:precise", sort="asc").json()
    assert [e["eventTime"] for e in body["data"]] == [
        "2026-03-01T09:00:00.000Z",
        "2026-03-01T09:00:00.001Z",
        "2026-03-01T09:00:00.123Z",
        "2026-03-01T09:00:00.999Z",
    ]


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
