"""Rotating a key: new secrets for the same key, the old ones working until the grace ends.

Personas: the web shop's key (rotated by its operator with the command), Alice (staff, rotates
in the admin), Bob (signed in, not staff), and the help widget's customer-token key.
"""

from __future__ import annotations

import io
from datetime import timedelta

import jwt
import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from profileviewer.api.keys import create_service_key, rotate_service_key
from profileviewer.api.models import Access, ServiceKey
from profileviewer.audit import writer
from profileviewer.audit.models import AccessRecord
from tests.api.conftest import STOREFRONT, assert_never_shown

pytestmark = pytest.mark.postgres

JOE = "/api/v1/profiles/userId:qrc-117322"


def rotate(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_service_key", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def end_grace(name: str) -> None:
    ServiceKey.objects.filter(name=name).update(
        previous_valid_until=timezone.now() - timedelta(seconds=1)
    )


def test_during_the_grace_period_the_old_and_the_new_secret_both_work(api):
    new, said = rotate("web shop", "--grace", "24h")
    assert new.startswith("pvk_") and new != api.shop_token
    assert "the old secret works until" in said and "shown only once" in said
    assert api.get(JOE, new).status_code == 200
    assert api.get(JOE, api.shop_token).status_code == 200


def test_after_the_grace_period_only_the_new_secret_works(api):
    new, _ = rotate("web shop")
    end_grace("web shop")
    assert api.get(JOE, new).status_code == 200
    old = api.get(JOE, api.shop_token)
    assert old.status_code == 401
    assert old.json()["error"]["message"] == "The service key is unknown or revoked."


def test_rotating_without_grace_ends_the_old_secret_at_once(api):
    new, said = rotate("web shop", "--grace", "0m")
    assert "the old secret works no longer" in said
    assert api.get(JOE, api.shop_token).status_code == 401
    assert api.get(JOE, new).status_code == 200


def test_a_second_rotation_ends_the_first_old_secret(api):
    second, _ = rotate("web shop")
    third, _ = rotate("web shop")
    assert api.get(JOE, api.shop_token).status_code == 401
    assert api.get(JOE, second).status_code == 200
    assert api.get(JOE, third).status_code == 200


def test_the_key_keeps_its_identity_so_usage_and_audit_name_one_key(api):
    key = ServiceKey.objects.get(name="web shop")
    writer.discard()
    api.get(JOE, api.shop_token)
    new, _ = rotate("web shop")
    api.get(JOE + "/summary", new)
    api.get(JOE, api.shop_token)
    writer.flush()
    rotated = ServiceKey.objects.get(name="web shop")
    assert (rotated.pk, rotated.prefix) == (key.pk, key.prefix)
    assert new.startswith(f"pvk_{key.prefix}_")
    assert rotated.last_used_at is not None
    whos = set(AccessRecord.objects.filter(where="api").values_list("who", flat=True))
    assert whos == {str(key)}
    assert AccessRecord.objects.filter(where="api", outcome="ok").count() == 3


def test_the_command_prints_only_the_new_key_on_stdout_and_never_logs_it(api, logged):
    new, said = rotate(ServiceKey.objects.get(name="web shop").prefix)
    assert new.count("pvk_") == 1
    responses = [api.get(JOE, new), api.get(JOE, new[:-3] + "xyz")]
    assert_never_shown([new, api.shop_token], responses, logged)
    assert new not in said


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("nobody", "No active key has the name or prefix 'nobody'."),
        ("old integration", "No active key has the name or prefix 'old integration'."),
        ("twins", "Several active keys are named 'twins': give a prefix"),
    ],
)
@pytest.mark.django_db
def test_the_command_refuses_an_unknown_revoked_or_ambiguous_key(name, message):
    create_service_key("old integration", revoked_at=timezone.now())
    create_service_key("twins")
    create_service_key("twins")
    with pytest.raises(CommandError, match=message):
        rotate(name)


@pytest.mark.django_db
def test_the_command_refuses_a_grace_it_cannot_read():
    create_service_key("web shop")
    with pytest.raises(CommandError, match="--grace must be a whole number and d, h or m"):
        rotate("web shop", "--grace", "a day")


@pytest.fixture
def alice(db) -> Client:
    """Alice is staff."""
    client = Client()
    client.force_login(User.objects.create_superuser("alice", "alice@example.com", "pw-alice-1"))
    return client


def test_staff_rotate_a_key_with_an_admin_action_and_see_the_new_key_once(api, alice):
    key = ServiceKey.objects.get(name="web shop")
    response = alice.post(
        "/admin/api/servicekey/",
        {"action": "rotate", "_selected_action": [key.pk]},
        follow=True,
    )
    shown = " ".join(str(m) for m in response.context["messages"])
    new = next(word for word in shown.split() if word.startswith("pvk_"))
    assert api.get(JOE, new).status_code == 200
    assert api.get(JOE, api.shop_token).status_code == 200  # 24 hours of grace
    again = alice.get(f"/admin/api/servicekey/{key.pk}/change/").content.decode()
    assert new not in again and "Previous secret valid until" in again


def test_someone_without_staff_rights_cannot_rotate(api):
    bob = Client()
    bob.force_login(User.objects.create_user("bob", password="pw-bob-12345"))
    key = ServiceKey.objects.get(name="web shop")
    response = bob.post(
        "/admin/api/servicekey/", {"action": "rotate", "_selected_action": [key.pk]}
    )
    assert response.status_code == 302
    assert ServiceKey.objects.get(pk=key.pk).key_hash == key.key_hash


def test_rotating_a_customer_token_key_also_renews_its_signing_secret(api):
    key, token = create_service_key(
        "help widget",
        allowed_origins=STOREFRONT,
        access=Access.CUSTOMER_TOKEN,
        rate_limit=1000,
        rate_burst=1000,
    )
    old_secret = key.customer_token_secret
    issued = rotate_service_key(key, timedelta(hours=1))
    assert issued.signing_secret and issued.signing_secret != old_secret

    def read_joe(bearer: str, secret: str) -> int:
        claims = {"sub": "userId:qrc-117322", "exp": timezone.now() + timedelta(minutes=5)}
        customer = jwt.encode(claims, secret, algorithm="HS256")
        return api.get(JOE, bearer, headers={"X-Customer-Token": customer}).status_code

    assert read_joe(issued.token, issued.signing_secret) == 200
    assert read_joe(token, old_secret) == 200
    end_grace("help widget")
    assert read_joe(issued.token, old_secret) == 403
    assert read_joe(issued.token, issued.signing_secret) == 200
