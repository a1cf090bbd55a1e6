"""`manage.py serve`, which `make serve` and the container run: checked, migrated, served."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.deploy.conftest import (
    PRODUCTION,
    ROOT,
    answer,
    clean_env,
    free_port,
    manage,
    wait_until_serving,
)

HTTPS = {"X-Forwarded-Proto": "https", "Host": "profiles.example.test"}


@pytest.mark.redis
def test_serve_checks_migrates_and_serves_the_production_shape(tmp_path):
    port = free_port()
    env = clean_env(
        PRODUCTION,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        REDIS_URL=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="2",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        openapi = f"http://127.0.0.1:{port}/api/v1/openapi.json"
        wait_until_serving(port, server)
        status, document = answer(openapi, HTTPS)
        assert status == 200
        assert document["openapi"].startswith("3.1")
        assert answer(openapi, {"Host": "profiles.example.test"})[0] == 301  # plain HTTP
        assert answer(openapi, {**HTTPS, "Host": "elsewhere.example"})[0] == 400
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=30)
    assert "Applying auth.0001_initial... OK" in output
    assert "Booting worker" in output
    assert "live-secret-token-value" not in output


def test_serve_refuses_a_configuration_check_deploy_warns_about(tmp_path):
    insecure = clean_env(
        PRODUCTION, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", SESSION_COOKIE_SECURE="0"
    )
    result = manage("serve", env=insecure)
    assert result.returncode != 0
    assert "security.W012" in result.stderr
    assert "Applying" not in result.stdout  # stopped before migrating


def test_serve_is_never_the_sandbox():
    result = manage("serve", env=clean_env(SANDBOX="true"))
    assert result.returncode == 1
    assert "set SANDBOX and DEBUG to false" in result.stderr
