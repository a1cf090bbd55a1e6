"""Staff create keys in the admin; the secret is shown once and then only its prefix."""

import pytest
from django.contrib.auth.models import User

from profileviewer.api.models import ServiceKey

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture
def alice(client):
    """Alice is staff."""
    user = User.objects.create_superuser("alice", "alice@example.com", "pw-alice-123")
    client.force_login(user)
    return client


def test_creating_a_key_in_the_admin_shows_the_secret_once(alice):
    response = alice.post(
        "/admin/api/servicekey/add/",
        {
            "name": "web shop",
            "rate_limit": "7",
            "rate_burst": "9",
            "allowed_origins": "",
            "access": "server",
        },
        follow=True,
    )
    assert response.status_code == 200
    key = ServiceKey.objects.get(name="web shop")
    shown = [str(m) for m in response.context["messages"]]
    token = next(word for m in shown for word in m.split() if word.startswith("pvk_"))
    assert token.startswith(f"pvk_{key.prefix}_")
    assert (key.rate_limit, key.rate_burst) == (7, 9)
    page = alice.get(f"/admin/api/servicekey/{key.pk}/change/").content.decode()
    assert key.prefix in page
    assert token not in page
    assert key.key_hash not in page


def test_staff_can_revoke_keys_with_an_admin_action(alice):
    from profileviewer.api.keys import authenticate, create_service_key

    key, token = create_service_key("old")
    alice.post(
        "/admin/api/servicekey/",
        {"action": "revoke", "_selected_action": [key.pk]},
        follow=True,
    )
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert authenticate(token) is None


@pytest.mark.parametrize(
    ("rate", "burst", "field"),
    [("0", "9", "rate_limit"), ("-1", "9", "rate_limit"), ("7", "0", "rate_burst")],
)
def test_the_admin_refuses_a_limit_that_allows_nothing(alice, rate, burst, field):
    response = alice.post(
        "/admin/api/servicekey/add/",
        {
            "name": "web shop",
            "rate_limit": rate,
            "rate_burst": burst,
            "allowed_origins": "",
            "access": "server",
        },
    )
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not ServiceKey.objects.filter(name="web shop").exists()


def test_an_existing_key_cannot_be_changed_to_a_rate_of_0(alice):
    from profileviewer.api.keys import create_service_key

    key, _ = create_service_key("web shop")
    response = alice.post(
        f"/admin/api/servicekey/{key.pk}/change/",
        {
            "name": "web shop",
            "rate_limit": "0",
            "rate_burst": "20",
            "allowed_origins": "",
            "access": "server",
        },
    )
    assert "rate_limit" in response.context["adminform"].form.errors
    key.refresh_from_db()
    assert key.rate_limit == 10.0


def test_the_model_validators_refuse_a_limit_that_allows_nothing(db):
    from django.core.exceptions import ValidationError

    for rate, burst in [(0, 20), (-0.5, 20), (float("nan"), 20), (10, 0)]:
        with pytest.raises(ValidationError):
            ServiceKey(
                name="x", prefix="p", key_hash="h", rate_limit=rate, rate_burst=burst
            ).full_clean()
    ServiceKey(name="x", prefix="p", key_hash="h", rate_limit=0.01, rate_burst=1).full_clean()
