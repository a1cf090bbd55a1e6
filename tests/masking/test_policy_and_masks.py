"""Who gets which policy, and what the masks do to values the demo data does not hold."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.cache.backends import locmem

from profileviewer import masking
from profileviewer.client import Meta
from profileviewer.embed.tokens import EmbedAgent
from profileviewer.masking import masks
from profileviewer.masking.masks import mask_phone, scrub
from tests.masking.roles import give_role


def test_a_superuser_sees_everything_and_a_user_without_a_group_nothing(db):
    assert masking.for_user(User.objects.create_superuser("root")) == masking.FULL
    assert masking.for_user(User.objects.create_user("nobody")) == masking.RESTRICTED


def test_a_user_in_a_role_gets_that_roles_permissions(db):
    sales = masking.for_user(give_role(User.objects.create_user("sam"), "sales"))
    assert (sales.full_phone, sales.restricted_traits, sales.raw_events) == (True, False, False)


def test_a_users_own_permission_counts_with_their_roles_in_one_query(db, django_assert_num_queries):
    user = give_role(User.objects.create_user("sam"), "sales")
    user.user_permissions.add(Permission.objects.get(codename="view_raw_events"))
    with django_assert_num_queries(1):
        policy = masking.for_user(user)
    assert (policy.full_phone, policy.restricted_traits, policy.raw_events) == (True, False, True)


def test_an_inactive_user_sees_nothing_whatever_their_role(db):
    user = give_role(User.objects.create_user("gone", is_active=False), "support")
    assert masking.for_user(user) == masking.RESTRICTED


@pytest.fixture
def seconds_later(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Moves the local-memory cache's clock on, so what it keeps can expire within a test."""

    def later(seconds: float) -> None:
        now = time.time() + seconds
        monkeypatch.setattr(locmem, "time", SimpleNamespace(time=lambda: now))

    return later


def test_a_changed_role_applies_once_the_kept_policy_expires(db, settings, seconds_later):
    settings.MASKING_POLICY_CACHE_SECONDS = 60
    user = give_role(User.objects.create_user("sam"), "sales")
    assert masking.for_user(user).full_phone
    user.groups.clear()
    seconds_later(59)
    assert masking.for_user(user).full_phone
    seconds_later(61)
    assert masking.for_user(user) == masking.RESTRICTED


def test_a_hosts_role_changed_applies_once_the_kept_policy_expires(db, settings, seconds_later):
    settings.MASKING_POLICY_CACHE_SECONDS = 60
    give_role(User.objects.create_user("x"), "support")
    agent = EmbedAgent("zendesk", "acct", "7", start=0, expires=0)
    assert masking.for_agent(agent).raw_events
    Group.objects.get(name="support").permissions.clear()
    seconds_later(61)
    assert masking.for_agent(agent) == masking.RESTRICTED


def test_with_no_time_to_keep_it_a_changed_role_applies_at_once(db, settings):
    settings.MASKING_POLICY_CACHE_SECONDS = 0
    user = give_role(User.objects.create_user("sam"), "sales")
    assert masking.for_user(user).full_phone
    user.groups.clear()
    assert masking.for_user(user) == masking.RESTRICTED


def test_host_users_take_their_hosts_role_and_a_missing_group_masks_everything(db, settings):
    give_role(User.objects.create_user("x"), "support")  # makes the roles
    agent = EmbedAgent("zendesk", "acct", "7", start=0, expires=0)
    assert masking.for_agent(agent).raw_events
    settings.ZENDESK_ROLE = "no-such-group"
    assert masking.for_agent(agent) == masking.RESTRICTED


def test_no_policy_in_force_means_everything_masked():
    assert masking.current() == masking.RESTRICTED
    with masking.override(masking.FULL):
        assert masking.current() == masking.FULL
    assert masking.current() == masking.RESTRICTED


@pytest.mark.parametrize(
    ("phone", "shown"),
    [
        ("+44 7700 900123", "••• 0123"),
        ("12345", "•••"),
        ("", ""),
        ("ask reception", "ask reception"),
    ],
)
def test_a_phone_keeps_its_last_4_digits_only_when_that_hides_the_rest(phone, shown):
    assert mask_phone(phone) == shown


def test_nested_phones_and_restricted_keys_are_masked_and_the_original_is_untouched(settings):
    settings.MASKING_RESTRICTED_TRAITS = ["dateOfBirth"]
    data = {
        "contact": {
            "mobileNumber": 447700900123,
            "phones": [{"label": "work", "value": "0161 496 0000"}],
        },
        "traits": {"dateOfBirth": "1984-03-14", "city": "Leeds"},
    }
    masked = scrub(data, masking.RESTRICTED)
    assert masked == {
        "contact": {"mobileNumber": "••• 0123", "phones": [{"label": "work", "value": "••• 0000"}]},
        "traits": {"city": "Leeds"},
    }
    assert data["traits"]["dateOfBirth"] == "1984-03-14"
    assert scrub(data, masking.FULL) is data


def test_one_value_held_under_a_phone_key_and_another_is_masked_only_under_the_phone_key():
    shared = ["0161 496 0000"]
    masked = scrub({"phones": shared, "notes": shared}, masking.RESTRICTED)
    assert masked == {"phones": ["••• 0000"], "notes": ["0161 496 0000"]}


def test_a_meta_answer_is_masked_in_its_traits_raw_json_and_its_own(settings):
    settings.MASKING_RESTRICTED_TRAITS = ["dateOfBirth"]
    data = {
        "id": "i-1",
        "phone": "+44 7700 900123",
        "dateOfBirth": "1984",
        "firstEvent": {"call": {"properties": {"mobile": "07700 900456"}}},
    }
    masked = masks.meta(Meta.from_json(data), masking.RESTRICTED)
    for raw in (masked.raw, masked.traits.raw):
        assert raw["phone"] == "••• 0123" and "dateOfBirth" not in raw
        assert raw["firstEvent"]["call"]["properties"]["mobile"] == "••• 0456"
    assert masked.first_events["call"]["properties"]["mobile"] == "••• 0456"
    assert masked.traits.phone == "••• 0123" and "dateOfBirth" not in masked.traits.custom
    assert data["dateOfBirth"] == "1984"
