"""The traits and meta endpoints (PAPI-14, 15, 18)."""

from datetime import timedelta

import pytest

from profileviewer.sandbox.store import NewEvent, add_events
from tests.sandbox.factories import T0, api_fixture, make_profile  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

CHANNELS = ["email", "sms", "whatsapp", "facebook", "push"]


@pytest.fixture
def joe():
    profile = make_profile(
        external_id="qrc-117322",
        email="joe.bloggs@example.com",
        first_name="Joe",
        last_name="Bloggs",
        phone="07700900123",
        website="https://example.com",
        organisation="Intilery",
        industry="Other",
        subscribed={"email": True, "push": True},
        custom_traits={"plan": "pro", "lifetimeValue": 1234.5, "preferences": {"sizes": ["M"]}},
        audiences=["vip_customers", "newsletter"],
        created_by={
            "filename": "staff listaug20.csv",
            "createdTime": "2025-08-20T09:00:00.000Z",
            "type": "audience-csv",
        },
    )
    add_events(
        profile,
        [
            NewEvent("email_opened", T0, {"campaign_id": "A"}),
            NewEvent("email_opened", T0 + timedelta(days=3), {"campaign_id": "B"}),
            NewEvent("logged_in", T0 + timedelta(days=1), {"method": "password"}),
        ],
    )
    return profile


def test_traits_by_user_id_is_one_object_with_known_and_custom_traits(api, joe):  # PAPI-14, 15
    body = api.profile("userId:qrc-117322", "traits").json()
    assert list(body)[:3] == ["id", "externalId", "email"]
    assert body["id"] == str(joe.id)
    assert body["externalId"] == "qrc-117322"
    assert body["email"] == "joe.bloggs@example.com"
    assert (body["firstName"], body["lastName"], body["organisation"]) == (
        "Joe",
        "Bloggs",
        "Intilery",
    )
    assert body["phone"] == "07700900123" and body["industry"] == "Other"
    assert body["plan"] == "pro" and body["lifetimeValue"] == 1234.5
    assert body["preferences"] == {"sizes": ["M"]}


def test_traits_carry_every_marketing_channel(api, joe):  # PAPI-15
    channels = api.profile("userId:qrc-117322", "traits").json()["marketingPreferences"]["channels"]
    assert [c["channel"] for c in channels] == CHANNELS
    assert {c["channel"]: c["subscribed"] for c in channels} == {
        "email": True,
        "sms": False,
        "whatsapp": False,
        "facebook": False,
        "push": True,
    }


def test_traits_by_intilery_id_is_the_same_object(api, joe):  # PAPI-14
    by_user = api.profile("userId:qrc-117322", "traits").json()
    assert api.profile(f"id:{joe.id}", "traits").json() == by_user


def test_traits_by_email_is_a_list_of_every_profile_most_recent_first(api, joe):  # PAPI-14
    uk = make_profile(external_id="sam-taylor-uk", email="sam.taylor@example.com")
    us = make_profile(external_id="sam-taylor-us", email="sam.taylor@example.com")
    add_events(uk, [NewEvent("logged_in", T0)])
    add_events(us, [NewEvent("logged_in", T0 + timedelta(hours=1))])
    body = api.profile("email:sam.taylor@example.com", "traits").json()
    assert list(body) == ["data"]
    assert [p["externalId"] for p in body["data"]] == ["sam-taylor-us", "sam-taylor-uk"]


def test_traits_by_email_of_one_profile_is_still_a_list(api, joe):  # PAPI-14
    body = api.profile("email:joe.bloggs@example.com", "traits").json()
    assert [p["id"] for p in body["data"]] == [str(joe.id)]


def test_a_profile_known_only_by_email_has_an_empty_external_id(api):  # PAPI-15
    guest = make_profile(email="guest.shopper@example.com")
    body = api.profile("email:guest.shopper@example.com", "traits").json()["data"][0]
    assert body["id"] == str(guest.id)
    assert body["externalId"] == ""


def test_meta_is_the_traits_plus_metadata(api, joe):  # PAPI-18
    traits = api.profile("userId:qrc-117322", "traits").json()
    meta = api.profile("userId:qrc-117322", "meta").json()
    assert {k: v for k, v in meta.items() if k in traits} == traits
    assert meta["_subscriptionId"] == joe.subscription_id
    assert meta["createdBy"]["type"] == "audience-csv"
    assert meta["createdBy"]["filename"] == "staff listaug20.csv"
    assert meta["audiencesStatic"] == ["vip_customers", "newsletter"]
    assert meta["lastActivityTime"] == "2026-01-04T12:00:00.000Z"


def test_meta_first_and_last_event_are_keyed_by_action(api, joe):  # PAPI-18
    meta = api.profile("userId:qrc-117322", "meta").json()
    assert set(meta["firstEvent"]) == {"email_opened", "logged_in"}
    first, last = meta["firstEvent"]["email_opened"], meta["lastEvent"]["email_opened"]
    assert first["properties"]["campaign_id"] == "A"
    assert last["properties"]["campaign_id"] == "B"
    assert last["eventTime"] == "2026-01-04T12:00:00.000Z"
    assert {"eventId", "receivedTime", "eventTime", "event", "context"} <= set(last)
    assert last["event"] == "Email Opened"


def test_meta_of_a_profile_without_events_has_null_last_activity(api):  # PAPI-18
    make_profile(external_id="new-signup-1")
    meta = api.profile("userId:new-signup-1", "meta").json()
    assert meta["lastActivityTime"] is None
    assert meta["firstEvent"] == {} and meta["lastEvent"] == {}


def test_meta_by_email_is_a_list(api, joe):  # PAPI-18
    body = api.profile("email:joe.bloggs@example.com", "meta").json()
    assert [p["_subscriptionId"] for p in body["data"]] == [joe.subscription_id]
