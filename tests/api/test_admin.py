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
        {"name": "web shop", "rate_limit": "7", "rate_burst": "9", "allowed_origins": ""},
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
