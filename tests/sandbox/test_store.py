from datetime import UTC, datetime, timedelta

import pytest

from profileviewer.sandbox.models import Identity
from profileviewer.sandbox.store import NewEvent, add_events, create_profile

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_profile_gets_an_identity_per_known_id():
    profile = create_profile(external_id="qrc-117322", email="joe@example.com")
    pairs = set(Identity.objects.filter(profile=profile).values_list("id_type", "value"))
    assert pairs == {
        ("id", str(profile.id)),
        ("userId", "qrc-117322"),
        ("email", "joe@example.com"),
    }


def test_summary_keeps_first_and_last_event_per_action():  # PAPI-18
    profile = create_profile(external_id="a")
    add_events(profile, [NewEvent("email_sent", T0 + timedelta(days=2), {"campaign_id": "B"})])
    add_events(
        profile,
        [
            NewEvent("email_sent", T0, {"campaign_id": "A"}),
            NewEvent("email_sent", T0 + timedelta(days=5), {"campaign_id": "C"}),
            NewEvent("logged_in", T0 + timedelta(days=1)),
        ],
    )
    profile.refresh_from_db()
    assert profile.first_event["email_sent"]["properties"] == {"campaign_id": "A"}
    assert profile.last_event["email_sent"]["properties"] == {"campaign_id": "C"}
    assert profile.last_event["email_sent"]["sendType"] == "email"
    assert profile.last_event["email_sent"]["eventTime"] == "2026-01-06T12:00:00.000Z"
    assert set(profile.first_event) == {"email_sent", "logged_in"}
    assert profile.event_count == 4
    assert profile.last_activity_time == T0 + timedelta(days=5)
