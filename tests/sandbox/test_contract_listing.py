"""Listing every profile with a scrollId (PAPI-4)."""

import base64
import uuid
from datetime import timedelta

import pytest

from profileviewer.sandbox.params import encode_cursor
from profileviewer.sandbox.store import NewEvent, add_events
from tests.sandbox.factories import T0, api_fixture, assert_error, make_profile  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture
def crowd():
    """250 profiles active at distinct times (some at the same moment), 5 never active."""
    profiles = []
    for n in range(250):
        profile = make_profile(external_id=f"customer-{n:03d}", email=f"c{n}@example.com")
        # Pairs share a moment, so the listing's tiebreak on id matters.
        add_events(profile, [NewEvent("logged_in", T0 + timedelta(minutes=n // 2))])
        profiles.append(profile)
    for n in range(5):
        profiles.append(make_profile(external_id=f"dormant-{n}"))
    return profiles


def scroll_all(api, **params):
    pages, scroll_id = [], None
    for _ in range(50):
        response = api.listing(**params, **({"scrollId": scroll_id} if scroll_id else {}))
        assert response.status_code == 200, response.text
        body = response.json()
        assert isinstance(body["scrollId"], str) and body["scrollId"]
        pages.append(body["data"])
        scroll_id = body["scrollId"]
        if not body["data"]:
            return pages
    raise AssertionError("the listing never ended")


def test_the_first_page_is_100_profiles_most_recently_active_first(api, crowd):  # PAPI-4
    body = api.listing().json()
    assert len(body["data"]) == 100
    assert {p["externalId"] for p in body["data"][:2]} == {"customer-248", "customer-249"}
    assert body["data"][99]["externalId"] in {"customer-150", "customer-151"}
    assert set(body["data"][0]) >= {"id", "externalId", "email", "marketingPreferences"}


def test_scrolling_visits_every_profile_once_and_ends_with_an_empty_page(api, crowd):  # PAPI-4
    pages = scroll_all(api)
    assert [len(page) for page in pages] == [100, 100, 55, 0]
    ids = [p["id"] for page in pages for p in page]
    assert len(ids) == len(set(ids)) == 255
    assert {p["externalId"] for p in pages[2][-5:]} == {f"dormant-{n}" for n in range(5)}


def test_size_sets_the_page_length(api, crowd):  # PAPI-4, PAPI-11
    pages = scroll_all(api, size=60)
    assert [len(page) for page in pages] == [60, 60, 60, 60, 15, 0]
    assert len({p["id"] for page in pages for p in page}) == 255


def test_an_exhausted_scroll_stays_empty(api, crowd):  # PAPI-4
    scroll_id = None
    for _ in range(3):
        scroll_id = api.listing(**({"scrollId": scroll_id} if scroll_id else {})).json()["scrollId"]
    for _ in range(2):
        body = api.listing(scrollId=scroll_id).json()
        assert body["data"] == []
        scroll_id = body["scrollId"]


def test_an_empty_sandbox_lists_nothing_with_a_scroll_id(api):  # PAPI-4
    body = api.listing().json()
    assert body["data"] == []
    again = api.listing(scrollId=body["scrollId"]).json()
    assert again["data"] == []


@pytest.mark.parametrize(
    "scroll_id",
    [
        "not-a-scroll-id!",
        "e30",
        encode_cursor({"t": "yesterday", "id": "x"}),
        "W10",
        "%%%",
        # JSON nested past the parser's depth (a RecursionError, not a ValueError)
        base64.urlsafe_b64encode(b"[" * 10_000).decode(),
    ],
)
def test_a_malformed_scroll_id_is_a_validation_error(api, crowd, scroll_id):  # PAPI-4
    message = assert_error(api.listing(scrollId=scroll_id), 400, "validation_error")
    assert "scrollId" in message


@pytest.mark.parametrize("size", ["0", "101", "ten"])
def test_a_bad_listing_size_is_a_validation_error(api, size):  # PAPI-11
    assert "size" in assert_error(api.listing(size=size), 400, "validation_error")


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_a_scroll_id_beyond_the_utc_range_is_a_validation_error(api, crowd, moment):
    # PAPI-4, PAPI-19, PAPI-20: overflowing on conversion to UTC must not be a 500.
    scroll_id = encode_cursor({"t": moment, "id": str(uuid.UUID(int=1))})
    message = assert_error(api.listing(scrollId=scroll_id), 400, "validation_error")
    assert "scrollId" in message
