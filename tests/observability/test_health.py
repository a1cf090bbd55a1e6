"""/healthz says the process is alive; /readyz says whether the database, the cache and the
upstream answer, and which did not."""

from __future__ import annotations

import socket

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client, override_settings

from profileviewer.audit import writer
from profileviewer.audit.models import AccessRecord
from tests.observability.conftest import sample

pytestmark = pytest.mark.django_db


def test_healthz_answers_alive_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}
    assert "no-store" in response["Cache-Control"]


def test_probes_need_no_sign_in_and_leave_no_audit_record(client):
    for path in ("/healthz", "/readyz"):
        response = client.get(path)
        assert response.status_code in (200, 503), path  # never the sign-in redirect
        assert "no-store" in response["Cache-Control"]
    writer.flush()
    assert AccessRecord.objects.count() == 0


def test_a_probe_does_not_count_as_a_signed_in_agents_activity(agent):
    seen_at = agent.session["pv_seen_at"] - 3600  # an hour ago: idle, but under the limit
    session = agent.session
    session["pv_seen_at"] = seen_at
    session.save()
    with override_settings(SESSION_IDLE_MINUTES=120):
        agent.get("/healthz")
    assert agent.session["pv_seen_at"] == seen_at


def test_readyz_is_green_with_each_checks_latency(upstream):
    response = Client().get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["failed"] == []
    assert set(body["checks"]) == {"database", "cache", "upstream"}
    for check in body["checks"].values():
        assert check["ready"] is True
        assert check["latency_ms"] >= 0


def redis_cache(url: str) -> dict[str, dict[str, object]]:
    """The caches REDIS_URL configures in production (settings.py), pointed at ``url``."""
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
            },
        },
        "process": settings.CACHES["process"],
    }


def test_readyz_turns_red_naming_the_cache_when_redis_stops(upstream, private_redis):
    url, server = private_redis
    with override_settings(CACHES=redis_cache(url), REDIS_URL=url):
        assert Client().get("/readyz").status_code == 200
        server.kill()
        server.wait(timeout=10)
        response = Client().get("/readyz")
        caches["default"].close()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert body["failed"] == ["cache"]
    assert body["checks"]["cache"]["ready"] is False
    assert body["checks"]["database"]["ready"] is True
    assert body["checks"]["upstream"]["ready"] is True


def test_readyz_turns_red_naming_the_upstream_without_its_address_or_credentials(upstream):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    unreachable = f"http://probe-user:probe-password@127.0.0.1:{port}/sandbox"
    with override_settings(INTILERY_API_URL=unreachable, READYZ_UPSTREAM_BUDGET=0.5):
        response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["upstream"]
    assert body["checks"]["upstream"]["error"] == "Could not connect to the Profiles API."
    text = response.content.decode()
    assert str(port) not in text and "probe-password" not in text and "127.0.0.1" not in text


def test_readyz_answers_within_its_upstream_budget_when_the_upstream_hangs(upstream):
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        with override_settings(
            INTILERY_API_URL=f"http://127.0.0.1:{port}/sandbox", READYZ_UPSTREAM_BUDGET=0.3
        ):
            response = Client().get("/readyz")
    assert response.status_code == 503
    upstream_check = response.json()["checks"]["upstream"]
    assert upstream_check["ready"] is False
    assert upstream_check["latency_ms"] < 1000


def test_probes_coming_often_make_one_upstream_call_per_interval(upstream, scrape):
    def listing_calls() -> float:
        return sample(scrape(), "pv_upstream_requests_total", endpoint="profiles")

    before = listing_calls()
    with override_settings(READYZ_UPSTREAM_EVERY=60):
        for _ in range(5):
            assert Client().get("/readyz").status_code == 200
    assert listing_calls() - before == 1
    with override_settings(READYZ_UPSTREAM_EVERY=0):
        for _ in range(2):
            Client().get("/readyz")
    assert listing_calls() - before == 3
