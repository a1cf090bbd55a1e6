"""The signed-in agent's record comes from the cache (profileviewer/agents/backends.py), and
a change to the agent reaches their next request."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection, connections, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from profileviewer.agents.backends import (
    AGENT_KEPT_SECONDS,
    CachedModelBackend,
    agent_key,
    offer_record,
)


def user_queries(client: Client, url: str = "/") -> int:
    """Database queries for the user table while `client` opens `url`."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code in (200, 302)
    return sum('"auth_user"' in query["sql"] for query in queries.captured_queries)


def shared_redis() -> dict:
    """CACHES for the running Redis, under keys of this test's own."""
    return {
        "default": {
            "BACKEND": "profileviewer.rediscache.ReusingRedisCache",
            "LOCATION": settings.TEST_REDIS_URL,
            "KEY_PREFIX": f"test-agents-{uuid.uuid4().hex}",
        }
    }


def signed_in(user: User, password: str) -> Client:
    """A browser signed in through the login form (so the session holds the backend)."""
    browser = Client()
    response = browser.post("/accounts/login/", {"username": user.username, "password": password})
    assert response.status_code == 302
    return browser


def test_the_agent_is_read_from_the_database_once_not_on_every_request(alice: User) -> None:
    browser = signed_in(alice, "alice-password-1")
    assert user_queries(browser) == 1
    assert user_queries(browser) == 0
    assert user_queries(browser) == 0


def test_a_deactivated_agent_is_signed_out_on_their_next_request(alice: User) -> None:
    browser = signed_in(alice, "alice-password-1")
    assert browser.get("/").status_code == 200
    alice.is_active = False
    alice.save()  # as the admin does
    response = browser.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_changed_password_signs_the_agent_out_of_their_other_sessions(alice: User) -> None:
    browser = signed_in(alice, "alice-password-1")
    assert browser.get("/").status_code == 200
    alice.set_password("a-new-password-2")
    alice.save()
    assert browser.get("/").status_code == 302


def test_a_deleted_agent_is_signed_out(alice: User) -> None:
    browser = signed_in(alice, "alice-password-1")
    assert browser.get("/").status_code == 200
    alice.delete()
    assert browser.get("/").status_code == 302


def test_a_change_that_bypasses_the_orm_waits_at_most_the_kept_time(alice: User) -> None:
    browser = signed_in(alice, "alice-password-1")
    assert browser.get("/").status_code == 200
    User.objects.filter(pk=alice.pk).update(is_active=False)  # no signal
    assert browser.get("/").status_code == 200  # the kept record, for up to a minute
    cache.delete(agent_key(alice.pk))  # what AGENT_KEPT_SECONDS' expiry does
    assert browser.get("/").status_code == 302


def test_the_agents_record_is_kept_a_minute_at_most(alice: User) -> None:
    browser = signed_in(alice, "alice-password-1")
    before = time.time()
    assert browser.get("/").status_code == 200
    expires = cache._expire_info[cache.make_and_validate_key(agent_key(alice.pk))]
    assert before < expires <= time.time() + AGENT_KEPT_SECONDS
    assert AGENT_KEPT_SECONDS <= 60


@pytest.mark.django_db(transaction=True)
def test_a_request_while_the_admin_saves_does_not_keep_the_old_record(alice: User) -> None:
    # The admin saves in a transaction: a request between the save and the commit reads the
    # row as it was and keeps it, so the record is dropped again once the change commits.
    browser = signed_in(alice, "alice-password-1")
    assert browser.get("/").status_code == 200

    def request_elsewhere() -> int:  # another server thread, with its own connection
        try:
            return browser.get("/").status_code
        finally:
            connections.close_all()

    with transaction.atomic(), ThreadPoolExecutor(max_workers=1) as server:
        alice.is_active = False
        alice.save()
        assert server.submit(request_elsewhere).result() == 200  # not committed yet
        assert cache.get(agent_key(alice.pk)) is not None  # kept as it was
    assert browser.get("/").status_code == 302


def test_two_deployments_sharing_a_cache_keep_their_agents_apart(alice: User) -> None:
    mine = agent_key(alice.pk)
    with override_settings(SECRET_KEY="another-deployment-secret-key-0123456789abcdef"):
        assert agent_key(alice.pk) != mine
    assert agent_key(alice.pk) == mine


def test_with_the_cache_down_the_agent_is_read_from_the_database(alice: User) -> None:
    broken = {
        "default": {
            "BACKEND": "profileviewer.rediscache.ReusingRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    with override_settings(CACHES=broken, SESSION_ENGINE="django.contrib.sessions.backends.db"):
        browser = signed_in(alice, "alice-password-1")
        assert browser.get("/").status_code == 200
        assert user_queries(browser) == 1
        alice.is_active = False
        alice.save()  # the invalidation fails too: logged, and the database still decides
        assert browser.get("/").status_code == 302


@pytest.mark.redis
def test_with_redis_a_deactivation_in_one_process_reaches_every_worker(alice: User) -> None:
    with override_settings(CACHES=shared_redis()):
        try:
            browser = signed_in(alice, "alice-password-1")
            assert user_queries(browser) == 1
            assert user_queries(browser) == 0  # kept in Redis
            assert cache.get(agent_key(alice.pk)).username == "alice"
            alice.is_active = False
            alice.save()
            assert cache.get(agent_key(alice.pk)) is None
            assert browser.get("/").status_code == 302
        finally:
            cache.delete(agent_key(alice.pk))


def redis_round_trips(action) -> dict[str, int]:
    """GET and MGET commands the running Redis served while `action` ran."""
    server = redis.Redis.from_url(settings.TEST_REDIS_URL)
    before = server.info("commandstats")
    action()
    after = server.info("commandstats")
    return {
        name: after.get(f"cmdstat_{name}", {}).get("calls", 0)
        - before.get(f"cmdstat_{name}", {}).get("calls", 0)
        for name in ("get", "mget")
    }


@pytest.mark.redis
def test_with_redis_a_request_reads_its_session_and_agent_in_one_round_trip(alice: User) -> None:
    # Two reads one after the other were two round trips on every viewer request.
    with override_settings(CACHES=shared_redis()):
        try:
            browser = signed_in(alice, "alice-password-1")
            assert browser.get("/").status_code == 200  # this process learns whose it is
            assert redis_round_trips(lambda: browser.get("/")) == {"get": 0, "mget": 1}
            assert user_queries(browser) == 0  # the record came with the session
            alice.first_name = "Alicia"
            alice.save()
            assert user_queries(browser) == 1  # the save dropped the record: read anew
            alice.is_active = False
            alice.save()
            assert browser.get("/").status_code == 302
        finally:
            cache.delete(agent_key(alice.pk))


def test_a_record_read_beside_a_session_serves_only_its_agent_and_only_once(
    alice: User, bob: User
) -> None:
    backend = CachedModelBackend()
    offer_record(bob.pk, None)  # read beside bob's session: none kept
    assert backend.get_user(alice.pk).username == "alice"  # not bob's offer: read as usual
    offer_record(alice.pk, alice)
    alice.first_name = "Changed"
    assert backend.get_user(alice.pk).first_name == "Changed"  # the offered record
    cache.set(agent_key(alice.pk), User(pk=alice.pk, username="kept", is_active=True), 30)
    assert backend.get_user(alice.pk).username == "kept"  # taken once: read from the cache


def test_a_record_left_unused_by_a_request_is_gone_when_the_request_ends(alice: User) -> None:
    # A request may load its session and never ask who its agent is: what was read beside
    # the session must not serve the next request on the same thread.
    offer_record(alice.pk, User(pk=alice.pk, username="stale", is_active=True))
    assert Client().get("/accounts/login/").status_code == 200
    assert CachedModelBackend().get_user(alice.pk).username == "alice"
