"""Cache-Control: no-cache skips the cache, up to a per-key allowance (over real HTTP)."""

import pytest
from django.test import override_settings

from profileviewer.sandbox.models import Profile

pytestmark = pytest.mark.postgres

JOE = "/api/v1/profiles/userId:qrc-117322"
NO_CACHE = {"Cache-Control": "no-cache"}


def organisation(response) -> str:
    assert response.status_code == 200, response.text
    return response.json()["profiles"][0]["organisation"]


def rename_joes_organisation(name: str) -> None:
    joe = Profile.objects.get(external_id="qrc-117322")
    joe.traits = {**joe.traits, "organisation": name}
    joe.save(update_fields=["traits"])


def test_no_cache_sees_a_change_the_cache_still_hides(api):
    assert organisation(api.get(JOE, api.shop_token)) == "Intilery"
    rename_joes_organisation("Northwind")
    assert organisation(api.get(JOE, api.shop_token)) == "Intilery"  # cached
    fresh = api.get(JOE, api.shop_token, headers=NO_CACHE)
    assert organisation(fresh) == "Northwind"
    assert "Cache-Status" not in fresh.headers
    assert organisation(api.get(JOE, api.shop_token)) == "Northwind"  # and refreshed the cache


def test_past_its_allowance_a_key_gets_cached_answers_and_is_told(api):
    with override_settings(API_FRESH_RATE=0.001, API_FRESH_BURST=2):
        assert organisation(api.get(JOE, api.shop_token)) == "Intilery"
        for name in ("First", "Second"):
            rename_joes_organisation(name)
            assert organisation(api.get(JOE, api.shop_token, headers=NO_CACHE)) == name
        rename_joes_organisation("Third")
        limited = api.get(JOE, api.shop_token, headers=NO_CACHE)
        assert organisation(limited) == "Second"
        assert "no-cache over this key's limit" in limited.headers["Cache-Status"]
        # Another key has its own allowance.
        other = api.get(JOE, api.crm_token, headers=NO_CACHE)
        assert organisation(other) == "Third"
        assert "Cache-Status" not in other.headers
