"""Service keys may expire: after it the API answers 401 saying so, and never echoes the key.

Personas: the web shop's key (Alice, staff, manages it in the admin), and the key a partner
was given for a 90-day trial.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import requests
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from profileviewer.api.keys import KeyRefused, create_service_key, verify
from profileviewer.api.models import ServiceKey
from tests.api.conftest import STOREFRONT, assert_never_shown

pytestmark = pytest.mark.postgres

JOE = "/api/v1/profiles/userId:qrc-117322"


def expire(name: str, at: datetime) -> None:
    ServiceKey.objects.filter(name=name).update(expires_at=at)


def test_a_key_before_its_expiry_reads_profiles(api):
    expire("web shop", timezone.now() + timedelta(hours=1))
    response = api.get(JOE, api.shop_token)
    assert response.status_code == 200
    assert response.json()["profiles"][0]["firstName"] == "Joe"


def test_an_expired_key_gets_401_saying_it_expired(api, logged):
    expire("web shop", datetime(2026, 3, 1, 12, 0, tzinfo=UTC))
    response = api.get(JOE, api.shop_token)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "authentication_error"
    assert error["message"] == (
        "The service key expired at 2026-03-01T12:00:00+00:00; ask for a new one."
    )
    assert response.headers["X-Request-Id"]
    assert_never_shown([api.shop_token], [response], logged)


def test_a_wrong_secret_for_an_expired_key_learns_nothing_of_its_expiry(api):
    expire("web shop", datetime(2026, 3, 1, tzinfo=UTC))
    forged = api.shop_token[:-4] + "AAAA"
    response = api.get(JOE, forged)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "The service key is unknown or revoked."


def test_an_expired_key_is_refused_on_every_endpoint_and_other_keys_are_not(api):
    expire("web shop", timezone.now() - timedelta(seconds=1))
    for path in (JOE, JOE + "/summary", JOE + "/recommendations/viewed-not-purchased"):
        assert api.get(path, api.shop_token).status_code == 401
    assert api.get(JOE, api.crm_token).status_code == 200


def test_a_request_to_an_expired_key_without_a_key_or_with_post_is_still_answered_in_json(api):
    expire("web shop", timezone.now() - timedelta(days=1))
    assert api.get(JOE).json()["error"]["code"] == "authentication_error"
    posted = requests.post(
        api.url + JOE, headers={"Authorization": f"Bearer {api.shop_token}"}, timeout=10
    )
    assert posted.status_code == 405
    assert posted.json()["error"]["code"] == "invalid_request_error"


def test_an_expired_browser_keys_origin_gets_no_preflight(api):
    expire("storefront", timezone.now() - timedelta(minutes=1))
    preflight = requests.options(
        api.url + JOE + "/summary",
        headers={"Origin": STOREFRONT, "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers


def create(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_service_key", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_create_service_key_expires_in_90_days(api):
    token, said = create("partner trial", "--expires-in", "90d")
    key = ServiceKey.objects.get(name="partner trial")
    assert key.expires_at is not None
    assert abs(key.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)
    assert f"expires {key.expires_at:%Y-%m-%d}" in said
    assert token not in said
    assert api.get(JOE, token).status_code == 200


@pytest.mark.django_db
def test_create_service_key_expires_at_an_iso_date_or_datetime():
    create("until new year", "--expires-at", "2099-01-01")
    create("until noon", "--expires-at", "2099-06-30T12:00:00+02:00")
    assert ServiceKey.objects.get(name="until new year").expires_at == datetime(
        2099, 1, 1, tzinfo=UTC
    )
    assert ServiceKey.objects.get(name="until noon").expires_at == datetime(
        2099, 6, 30, 10, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--expires-in", "90"], "--expires-in must be a whole number and d, h or m"),
        (["--expires-in", "3y"], "--expires-in must be a whole number and d, h or m"),
        (["--expires-in=-1d"], "--expires-in must be a whole number and d, h or m"),
        (["--expires-at", "soon"], "--expires-at must be an ISO 8601 date or datetime"),
        (["--expires-at", "2026-02-30"], "--expires-at must be an ISO 8601 date or datetime"),
        (["--expires-at", "2001-01-01"], "--expires-at is in the past"),
    ],
)
@pytest.mark.django_db
def test_create_service_key_refuses_an_expiry_it_cannot_read(args, message):
    with pytest.raises(CommandError, match=message):
        create("partner trial", *args)
    assert not ServiceKey.objects.filter(name="partner trial").exists()


@pytest.mark.django_db
def test_create_service_key_refuses_both_expiry_options():
    with pytest.raises(CommandError, match="not allowed with argument"):
        create("partner trial", "--expires-in", "1d", "--expires-at", "2099-01-01")


@pytest.fixture
def alice(db) -> Client:
    """Alice is staff."""
    client = Client()
    client.force_login(User.objects.create_superuser("alice", "alice@example.com", "pw-alice-1"))
    return client


def test_staff_see_a_keys_expiry_in_the_admin_list(alice):
    create_service_key("partner trial", expires_at=datetime(2099, 1, 2, tzinfo=UTC))
    page = alice.get("/admin/api/servicekey/").content.decode()
    assert "Expires at" in page
    assert "2 Jan 2099" in page


def test_staff_set_an_expiry_in_the_admin_and_the_key_stops_working(alice, db):
    key, token = create_service_key("partner trial")
    response = alice.post(
        f"/admin/api/servicekey/{key.pk}/change/",
        {
            "name": "partner trial",
            "access": "server",
            "allowed_origins": "",
            "rate_limit": "10",
            "rate_burst": "20",
            "expires_at_0": "2026-01-02",
            "expires_at_1": "00:00:00",
            "notes": "",
        },
    )
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.expires_at == datetime(2026, 1, 2, tzinfo=UTC)
    with pytest.raises(KeyRefused) as refused:
        verify(token)
    assert refused.value.reason == "expired"


def test_someone_without_staff_rights_cannot_change_an_expiry(db):
    key, _ = create_service_key("partner trial")
    bob = Client()
    bob.force_login(User.objects.create_user("bob", password="pw-bob-12345"))
    response = bob.post(
        f"/admin/api/servicekey/{key.pk}/change/",
        {"name": "partner trial", "expires_at_0": "2026-01-02", "expires_at_1": "00:00:00"},
    )
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    key.refresh_from_db()
    assert key.expires_at is None
