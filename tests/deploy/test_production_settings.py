"""The production configuration: named problems at start, and a clean `check --deploy`."""

from __future__ import annotations

import pytest

from profileviewer.agents.csrf import CsrfViewMiddleware
from profileviewer.envconfig import Env
from tests.deploy.conftest import PRODUCTION, clean_env, manage

REQUIRED = [
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "INTILERY_API_URL",
    "INTILERY_CLIENT_ID",
    "INTILERY_ACCOUNT_ID",
    "INTILERY_BRAND_ID",
    "INTILERY_API_TOKEN",
]


def test_check_deploy_on_the_production_configuration_finds_nothing():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=clean_env(PRODUCTION))
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_when_https_is_switched_off():
    insecure = clean_env(PRODUCTION, SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0")
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=insecure)
    assert result.returncode != 0
    assert "security.W004" in result.stderr
    assert "security.W008" in result.stderr


def test_every_missing_production_setting_is_named_on_a_line_of_its_own():
    result = manage("check", env=clean_env(SANDBOX="false"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    for name in REQUIRED:
        assert sum(line.strip().startswith(name) for line in lines) == 1, name


def test_bad_values_are_named_together_without_a_traceback():
    bad = clean_env(PRODUCTION, PORT="eighty", SECRET_KEY="short", SECURE_HSTS_SECONDS="a year")
    result = manage("check", env=bad)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    problems = [line.strip() for line in result.stderr.splitlines() if line.startswith("  ")]
    assert [p.split()[0] for p in problems] == ["PORT", "SECRET_KEY", "SECURE_HSTS_SECONDS"]
    assert "short" not in result.stderr  # a secret's value, even a bad one, is not repeated


def test_a_bad_url_is_named_once_not_also_as_missing():
    bad = clean_env(
        PRODUCTION, DATABASE_URL="mysql://db/pv", REDIS_URL="cache:6379", INTILERY_API_URL="x"
    )
    result = manage("check", env=bad)
    problems = [line.strip() for line in result.stderr.splitlines() if line.startswith("  ")]
    assert [p.split()[0] for p in problems] == ["DATABASE_URL", "REDIS_URL", "INTILERY_API_URL"]
    assert all("must be a URL starting with" in problem for problem in problems)


def test_a_command_s_help_without_settings_says_what_to_set_instead_of_crashing():
    result = manage("create_service_key", "--help", env=clean_env())
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "SANDBOX=true runs the local sandbox" in result.stderr
    assert "SECRET_KEY must be set" in result.stderr


def test_the_local_secret_key_is_never_used_in_production():
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    local = manage("shell", "--no-imports", "-c", code, env=clean_env(SANDBOX="true"))
    assert local.returncode == 0, local.stderr
    local_key = local.stdout.strip()
    without_key = clean_env({k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"})
    refused = manage("shell", "--no-imports", "-c", code, env=without_key)
    assert refused.returncode == 1
    assert local_key not in refused.stdout + refused.stderr


def test_https_settings_have_production_defaults_and_come_from_the_environment():
    code = (
        "from django.conf import settings as s; print(s.SECURE_PROXY_SSL_HEADER,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    production = manage("shell", "--no-imports", "-c", code, env=clean_env(PRODUCTION))
    assert production.stdout.strip() == (
        "('HTTP_X_FORWARDED_PROTO', 'https') True 31536000 True False True True"
    ), production.stderr
    chosen = clean_env(
        PRODUCTION,
        SECURE_HSTS_SECONDS="600",
        SECURE_HSTS_PRELOAD="true",
        SECURE_PROXY_SSL_HEADER="",
    )
    assert manage("shell", "--no-imports", "-c", code, env=chosen).stdout.strip() == (
        "None True 600 True True True True"
    )


@pytest.mark.parametrize("header", ["X-Forwarded-Proto: https", "X_Forwarded Proto", "é"])
def test_a_proxy_header_that_is_not_a_header_name_is_refused(header):
    result = manage("check", env=clean_env(PRODUCTION, SECURE_PROXY_SSL_HEADER=header))
    assert result.returncode == 1
    assert "SECURE_PROXY_SSL_HEADER must be a header name" in result.stderr


def test_the_silenced_csrf_check_is_only_the_check_not_knowing_our_subclass(settings):
    assert "profileviewer.agents.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE
    from django.middleware.csrf import CsrfViewMiddleware as DjangoCsrf

    assert issubclass(CsrfViewMiddleware, DjangoCsrf)


def test_env_collects_problems_and_names_them_all_at_once():
    env = Env({"A": "x", "B": "-1", "C": "maybe"}, collect=True)
    assert env.int("A", 1) == 1
    assert env.int("B", 2, min=0) == 2
    assert env.bool("C", True) is True
    assert env.str("D", required=True) == ""
    with pytest.raises(Exception, match=r"(?s)A must be.*B must be.*C must be.*D must be"):
        env.check()
    with pytest.raises(Exception, match="E must be set"):
        env.str("E", required=True)  # after check(), a problem raises at once


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_the_balancer_s_probes_are_not_redirected_to_https(client, settings, path):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/api/v1/openapi.json").status_code == 301
    assert client.get(path).status_code != 301
