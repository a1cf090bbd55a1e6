"""Settings come from the environment; a bad value stops the app at start with its name."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from profileviewer.envconfig import Env

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "SANDBOX": "false",
    "DEBUG": "false",
    "SECRET_KEY": "production-secret-key-" + "0123456789" * 4,
    "ALLOWED_HOSTS": "profiles.example.test",
    "DATABASE_URL": "postgres://pv@db.example.test:5432/pv",
    "REDIS_URL": "redis://cache.example.test:6379/0",
    "INTILERY_API_URL": "https://profiles.example.test",
    "INTILERY_CLIENT_ID": "acme",
    "INTILERY_ACCOUNT_ID": "marketing",
    "INTILERY_BRAND_ID": "ACME",
    "INTILERY_API_TOKEN": "live-secret-token-value",
}


def run_django(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    inherited = ("INTILERY_", "SANDBOX", "SECRET_KEY", "DEBUG", "REDIS_URL", "DJANGO_")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(inherited)}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "profileviewer.settings"
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SANDBOX", "yes please"),
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("INTILERY_CALL_BUDGET", "-1"),
        ("INTILERY_RATE_BURST", "1.5"),
        ("INTILERY_API_URL", "ftp://example.test"),
        ("REDIS_URL", "localhost:6379"),
        ("DATABASE_URL", "mysql://nope"),
        ("LOG_LEVEL", "LOUD"),
        ("SANDBOX_FAULT_ERROR_RATE", "2"),
        ("DATABASE_CONN_MAX_AGE", "-5"),
        ("API_FRESH_BURST", "0"),
        ("LOGIN_FAILURE_LIMIT", "0"),
        ("LOGIN_LOCKOUT_MINUTES", "a while"),
        ("TRUSTED_PROXY_COUNT", "-1"),
        ("SESSION_IDLE_MINUTES", "0"),
        ("SESSION_MAX_HOURS", "1.5"),
        ("PRODUCT_IMAGE_HOSTS", "https://cdn.example.com/images"),
        ("PRODUCT_IMAGE_HOSTS", "https://*.example.com"),
        ("PRODUCT_IMAGE_HOSTS", "https://cdn.example.com https:"),
    ],
)
def test_a_bad_value_stops_the_app_naming_the_variable(name, value):
    result = run_django({**PRODUCTION, name: value}, "pass")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name in result.stderr


def test_production_needs_the_upstream_and_a_secret_key():
    for missing in ("SECRET_KEY", "INTILERY_API_URL", "INTILERY_API_TOKEN"):
        env = {k: v for k, v in PRODUCTION.items() if k != missing}
        result = run_django(env, "pass")
        assert result.returncode != 0, missing
        assert missing in result.stderr


def test_a_bad_url_is_named_without_echoing_its_secrets():
    result = run_django({**PRODUCTION, "REDIS_URL": "redis:/user:hunter2@host"}, "pass")
    assert "REDIS_URL" in result.stderr
    assert "hunter2" not in result.stderr


def test_production_mounts_no_sandbox_and_has_no_demo_defaults():
    code = (
        "from django.conf import settings; from django.urls import resolve, Resolver404\n"
        "try:\n    resolve('/sandbox/demo/demo/DEMO/v1/profiles'); print('MOUNTED')\n"
        "except Resolver404:\n    print('NOT MOUNTED')\n"
        "print(settings.INTILERY_API_URL, settings.ALLOWED_HOSTS)"
    )
    result = run_django(PRODUCTION, code)
    assert result.returncode == 0, result.stderr
    assert "NOT MOUNTED" in result.stdout
    assert "https://profiles.example.test ['profiles.example.test']" in result.stdout


@pytest.mark.parametrize("url", ["sqlite:///tmp/pv-settings.sqlite3", "postgres://u@h:5432/d"])
def test_database_connections_persist_across_requests_on_sqlite_and_postgresql(url):
    code = "from django.conf import settings; print(settings.DATABASES['default']['CONN_MAX_AGE'])"
    assert run_django({**PRODUCTION, "DATABASE_URL": url}, code).stdout.strip() == "60"
    no_reuse = {**PRODUCTION, "DATABASE_URL": url, "DATABASE_CONN_MAX_AGE": "0"}
    assert run_django(no_reuse, code).stdout.strip() == "0"


def test_sandbox_mode_points_the_client_at_the_local_sandbox():
    result = run_django(
        {"SANDBOX": "true", "PORT": "8123"},
        "from django.conf import settings as s; print(s.INTILERY_API_URL, s.INTILERY_CLIENT_ID,"
        " s.INTILERY_ACCOUNT_ID, s.INTILERY_BRAND_ID, s.INTILERY_API_TOKEN)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "http://127.0.0.1:8123/sandbox",
        "demo",
        "demo",
        "DEMO",
        "sandbox-token",
    ]


def test_env_reads_booleans_strictly():
    assert Env({"X": "TRUE"}).bool("X", False) is True
    assert Env({"X": "off"}).bool("X", True) is False
    assert Env({}).bool("X", True) is True


def test_env_reads_origins_as_one_spelling_each():
    env = Env({"X": "HTTPS://CDN.example.com:443/, http://127.0.0.1:8001"})
    assert env.origins("X", []) == ["https://cdn.example.com", "http://127.0.0.1:8001"]
    assert Env({}).origins("X", []) == []


def test_embed_hosts_stop_the_app_when_half_configured():
    half = run_django({**PRODUCTION, "ZENDESK_SUBDOMAIN": "acme"}, "")
    assert half.returncode != 0
    assert "ZENDESK_APP_INSTALLATION_ID, ZENDESK_APP_PUBLIC_KEY" in half.stderr
    unpinned = run_django({**PRODUCTION, "PIPEDRIVE_JWT_SECRET": "s" * 32}, "")
    assert unpinned.returncode != 0
    assert "PIPEDRIVE_COMPANY_ID must be set" in unpinned.stderr
    assert "s" * 32 not in unpinned.stderr


def test_host_simulators_exist_only_against_this_machines_sandbox():
    code = (
        "from django.conf import settings; from django.urls import resolve, Resolver404\n"
        "try:\n    resolve('/dev/hosts/zendesk/'); print('mounted')\n"
        "except Resolver404:\n    print('absent')\n"
        "print(settings.EMBED_DEV_HOSTS)"
    )
    local = run_django({"SANDBOX": "true", "PORT": "8123"}, code)
    assert local.stdout.split() == ["mounted", "True"], local.stderr
    real_upstream = {
        "SANDBOX": "true",
        "INTILERY_API_URL": "https://profiles.example.test",
        "INTILERY_API_TOKEN": "live-secret-token-value",
    }
    remote = run_django(real_upstream, code)
    assert remote.stdout.split() == ["absent", "False"], remote.stderr
