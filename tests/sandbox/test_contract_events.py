"""The events endpoint: shape, paging, the 10,000 window, filters and sort (PAPI-11..13, 16, 17)."""

import uuid
from datetime import timedelta

import pytest

from tests.sandbox.factories import T0, add_series, api_fixture, assert_error, make_profile  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

EVENT_FIELDS = [
    "id",
    "externalId",
    "email",
    "eventId",
    "eventTime",
    "receivedTime",
    "eventAction",
    "clientId",
    "accountId",
    "brandId",
    "customerId",
    "userId",
    "source",
    "rawData",
]


@pytest.fixture
def joe():
    profile = make_profile(external_id="qrc-117322", email="joe.bloggs@example.com")
    add_series(profile, "page_viewed", 150, step=timedelta(minutes=1))
    return profile


def numbers(response):
    return [event["rawData"]["properties"]["n"] for event in response.json()["data"]]


def test_an_event_has_every_field_of_the_contract(api):  # PAPI-17
    profile = make_profile(external_id="qrc-117322", email="joe.bloggs@example.com")
    add_series(profile, "email_opened", 1, properties={"campaign_id": "TRIAL_WELCOME"})
    body = api.events("userId:qrc-117322").json()
    assert isinstance(body["scrollId"], str) and body["scrollId"]
    (event,) = body["data"]
    assert list(event) == EVENT_FIELDS
    assert event["id"] == event["customerId"] == str(profile.id)
    assert (event["externalId"], event["userId"]) == ("qrc-117322", "qrc-117322")
    assert event["email"] == "joe.bloggs@example.com"
    uuid.UUID(event["eventId"])
    assert event["eventTime"] == "2026-01-01T12:00:00.000Z"
    assert event["receivedTime"] == "2026-01-01T12:00:00.450Z"
    assert event["eventAction"] == "email_opened"
    assert (event["clientId"], event["accountId"], event["brandId"]) == ("demo", "demo", "DEMO")
    assert event["source"] == "SEGMENT_API"
    raw = event["rawData"]
    assert raw["event"] == "Email Opened" and raw["action"] == "track"
    assert raw["sendType"] == "email"
    assert raw["properties"]["campaign_id"] == "TRIAL_WELCOME"
    assert set(raw["context"]) == {"ip", "user_agent", "traits"}
    assert raw["timestamp"] == event["eventTime"]


def test_a_profile_without_external_id_uses_its_id_as_user_id(api):  # PAPI-17
    guest = make_profile(email="guest.shopper@example.com")
    add_series(guest, "page_viewed", 1)
    event = api.events(f"id:{guest.id}").json()["data"][0]
    assert event["externalId"] == ""
    assert event["userId"] == str(guest.id)


def test_default_page_is_the_latest_100_events_newest_first(api, joe):  # PAPI-11, 12, 13
    response = api.events("userId:qrc-117322")
    assert numbers(response) == list(range(149, 49, -1))


def test_from_and_size_page_through_without_gaps_or_overlap(api, joe):  # PAPI-11
    seen = []
    for offset in range(0, 150, 40):
        seen += numbers(api.events("userId:qrc-117322", **{"from": offset, "size": 40}))
    assert seen == list(range(149, -1, -1))


def test_a_page_past_the_end_is_empty(api, joe):  # PAPI-11
    assert api.events("userId:qrc-117322", **{"from": 500}).json()["data"] == []


def test_sort_asc_gives_oldest_first(api, joe):  # PAPI-13
    assert numbers(api.events("userId:qrc-117322", sort="asc", size=3)) == [0, 1, 2]
    assert numbers(api.events("userId:qrc-117322", sort="desc", size=3)) == [149, 148, 147]


def test_events_at_the_same_moment_page_in_a_stable_order(api):  # PAPI-13
    profile = make_profile(external_id="twins")
    add_series(profile, "page_viewed", 7, step=timedelta(0))
    for sort in ("asc", "desc"):
        pages = [
            numbers(api.events("userId:twins", sort=sort, size=2, **{"from": f}))
            for f in range(0, 7, 2)
        ]
        flat = [n for page in pages for n in page]
        assert sorted(flat) == list(range(7))


@pytest.mark.parametrize("size", ["0", "101", "-1", "abc", "1.5", "", "1e2", " 5"])
def test_size_outside_1_to_100_or_not_a_whole_number_is_a_validation_error(
    api, joe, size
):  # PAPI-11
    message = assert_error(api.events("userId:qrc-117322", size=size), 400, "validation_error")
    assert "size" in message


@pytest.mark.parametrize("offset", ["-1", "x", "2.0", ""])
def test_negative_or_non_integer_from_is_a_validation_error(api, joe, offset):  # PAPI-11
    message = assert_error(
        api.events("userId:qrc-117322", **{"from": offset}), 400, "validation_error"
    )
    assert "from" in message


@pytest.mark.parametrize("offset,size", [(9901, 100), (10_000, 1), (9999, 2), (50_000, 10)])
def test_paging_past_the_10000_window_is_a_validation_error(api, joe, offset, size):  # PAPI-11
    response = api.events("userId:qrc-117322", **{"from": offset, "size": size})
    assert "10,000" in assert_error(response, 400, "validation_error")


def test_the_last_page_of_the_window_is_served(api):  # PAPI-11
    big = make_profile(external_id="acct/00042")
    add_series(big, "page_viewed", 10_050, step=timedelta(seconds=1))
    response = api.events("userId:acct/00042", sort="asc", **{"from": 9900, "size": 100})
    assert numbers(response) == list(range(9900, 10_000))
    beyond = api.events("userId:acct/00042", sort="asc", **{"from": 9901, "size": 100})
    assert_error(beyond, 400, "validation_error")


def test_include_keeps_one_action(api, joe):  # PAPI-13
    add_series(joe, "email_opened", 3, start=T0 + timedelta(days=1))
    body = api.events("userId:qrc-117322", include="email_opened").json()
    assert [e["eventAction"] for e in body["data"]] == ["email_opened"] * 3


def test_exclude_drops_each_listed_action_and_ignores_blanks(api, joe):  # PAPI-13
    add_series(joe, "email_opened", 3, start=T0 + timedelta(days=1))
    add_series(joe, "logged_in", 2, start=T0 + timedelta(days=2))
    body = api.events("userId:qrc-117322", exclude="page_viewed,, logged_in ,").json()
    assert [e["eventAction"] for e in body["data"]] == ["email_opened"] * 3


def test_start_and_end_are_exclusive_bounds(api, joe):  # PAPI-13
    # Events n are at T0 + n minutes; start after n=10, end before n=14.
    response = api.events(
        "userId:qrc-117322", start="2026-01-01T12:10:00Z", end="2026-01-01T12:14:00Z", sort="asc"
    )
    assert numbers(response) == [11, 12, 13]


def test_dates_without_a_zone_are_utc_and_zones_are_honoured(api, joe):  # PAPI-13
    naive = api.events("userId:qrc-117322", start="2026-01-01T12:10:00", end="2026-01-01T12:14:00")
    offset = api.events(
        "userId:qrc-117322", start="2026-01-01T13:10:00+01:00", end="2026-01-01T07:14:00-05:00"
    )
    assert numbers(naive) == numbers(offset) == [13, 12, 11]


def test_a_plain_date_is_midnight_utc(api, joe):  # PAPI-13
    add_series(joe, "logged_in", 2, start=T0 - timedelta(days=2), step=timedelta(days=1))
    body = api.events("userId:qrc-117322", end="2026-01-01", include="logged_in").json()
    assert [e["eventTime"] for e in body["data"]] == [
        "2025-12-31T12:00:00.000Z",
        "2025-12-30T12:00:00.000Z",
    ]


def test_an_unencoded_plus_zone_in_the_query_still_parses(api, joe):  # PAPI-13
    url = api.profiles_url() + "/userId:qrc-117322/events?start=2026-01-01T13:10:00+01:00&size=1"
    response = api.call(url)
    assert response.status_code == 200
    assert numbers(response) == [149]


@pytest.mark.parametrize("name", ["start", "end"])
@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "2026-01-01T25:00", "01/02/2026"])
def test_unparsable_dates_are_validation_errors_naming_the_parameter(
    api, joe, name, value
):  # PAPI-13
    message = assert_error(
        api.events("userId:qrc-117322", **{name: value}), 400, "validation_error"
    )
    assert name in message


@pytest.mark.parametrize("sort", ["ASC", "newest", "", "random"])
def test_sort_other_than_asc_or_desc_is_a_validation_error(api, joe, sort):  # PAPI-13
    assert "sort" in assert_error(
        api.events("userId:qrc-117322", sort=sort), 400, "validation_error"
    )


def test_unknown_query_parameters_are_ignored(api, joe):  # PAPI-13
    plain = api.events("userId:qrc-117322", size=5)
    noisy = api.events("userId:qrc-117322", size=5, colour="blue", page="7", scrollId="abc")
    assert noisy.status_code == 200
    assert numbers(noisy) == numbers(plain)


def test_events_by_email_merge_every_profile_by_time(api):  # PAPI-16
    uk = make_profile(external_id="sam-taylor-uk", email="sam.taylor@example.com")
    us = make_profile(external_id="sam-taylor-us", email="sam.taylor@example.com")
    make_profile(external_id="someone-else", email="other@example.com")
    add_series(uk, "page_viewed", 3, start=T0, step=timedelta(minutes=2))
    add_series(us, "logged_in", 3, start=T0 + timedelta(minutes=1), step=timedelta(minutes=2))
    body = api.events("email:sam.taylor@example.com", sort="asc").json()
    owners = [e["externalId"] for e in body["data"]]
    assert owners == ["sam-taylor-uk", "sam-taylor-us"] * 3
    times = [e["eventTime"] for e in body["data"]]
    assert times == sorted(times)
    assert {e["customerId"] for e in body["data"]} == {str(uk.id), str(us.id)}
    assert all(e["id"] == e["customerId"] for e in body["data"])


def test_events_by_email_page_and_filter_across_profiles(api):  # PAPI-16, PAPI-11, PAPI-13
    uk = make_profile(external_id="sam-taylor-uk", email="sam.taylor@example.com")
    us = make_profile(external_id="sam-taylor-us", email="sam.taylor@example.com")
    add_series(uk, "page_viewed", 60, start=T0, step=timedelta(minutes=2))
    add_series(us, "page_viewed", 60, start=T0 + timedelta(minutes=1), step=timedelta(minutes=2))
    page = api.events("email:sam.taylor@example.com", size=100, **{"from": 100}).json()["data"]
    assert len(page) == 20
    assert page[-1]["externalId"] == "sam-taylor-uk" and page[-1]["rawData"]["properties"]["n"] == 0
    only_us = api.events("email:sam.taylor@example.com", start="2026-01-01T13:58:30Z").json()
    assert [e["externalId"] for e in only_us["data"]] == ["sam-taylor-us"]


def test_quotes_backslashes_and_unicode_survive_in_events(api):  # PAPI-17
    odd = make_profile(external_id='say "hi"\\now', email="zoë@example.com")
    add_series(odd, "page_viewed", 1, properties={"title": 'Café "Zoë" \\ ✓', "emoji": "🛒"})
    event = api.events(f"id:{odd.id}").json()["data"][0]
    assert event["externalId"] == event["userId"] == 'say "hi"\\now'
    assert event["email"] == "zoë@example.com"
    assert event["rawData"]["properties"]["title"] == 'Café "Zoë" \\ ✓'
    assert event["rawData"]["properties"]["emoji"] == "🛒"


@pytest.mark.parametrize("params", [{"include": "page\x00viewed"}, {"exclude": "a,\x00"}])
def test_a_nul_in_an_action_filter_is_a_validation_error(api, joe, params):  # PAPI-13
    assert_error(api.events("userId:qrc-117322", **params), 400, "validation_error")


@pytest.mark.parametrize("offset", ["1" * 5001, "\uff11", "²"])
def test_from_with_huge_or_non_ascii_digits_is_a_validation_error(api, joe, offset):  # PAPI-11
    message = assert_error(
        api.events("userId:qrc-117322", **{"from": offset}), 400, "validation_error"
    )
    assert "from" in message


@pytest.mark.parametrize(
    "name,value", [("start", "0001-01-01T00:00+14:00"), ("end", "9999-12-31T23:59-12:00")]
)
def test_dates_beyond_the_utc_range_are_validation_errors(api, joe, name, value):  # PAPI-13
    message = assert_error(
        api.events("userId:qrc-117322", **{name: value}), 400, "validation_error"
    )
    assert name in message
