"""Helpers for the deployment tests: the app run as its own process, as a server runs it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# A production configuration a team could deploy: every required setting, nothing local.
PRODUCTION = {
    "SANDBOX": "false",
    "DEBUG": "false",
    "SECRET_KEY": "kq3-Vt9zP0x_Lm2rW8sYb4nC6dF1gH5jK7lZ9qX2vB0nM3cR8tY6uI4oP1aS5dE",
    "ALLOWED_HOSTS": "profiles.example.test,127.0.0.1",
    "DATABASE_URL": "postgres://pv@db.example.test:5432/pv",
    "REDIS_URL": "redis://cache.example.test:6379/0",
    "INTILERY_API_URL": "https://profiles.example.test",
    "INTILERY_CLIENT_ID": "acme",
    "INTILERY_ACCOUNT_ID": "marketing",
    "INTILERY_BRAND_ID": "ACME",
    "INTILERY_API_TOKEN": "live-secret-token-value",
    "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
}
# Settings inherited from the shell or the test run would blur what each test sets.
_INHERITED = (
    "INTILERY_",
    "SANDBOX",
    "SECRET_KEY",
    "DEBUG",
    "DATABASE_",
    "REDIS_URL",
    "DJANGO_",
    "ALLOWED_HOSTS",
    "SECURE_",
    "GUNICORN_",
    "PORT",
    "PROMETHEUS_",
)


def clean_env(base: dict[str, str] | None = None, **settings: str) -> dict[str, str]:
    """This process's environment without any app setting, then ``base``, then ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED)}
    return {**env, **(base or {}), **settings}


def manage(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_serving(port: int, process: subprocess.Popen[str], seconds: float = 60) -> None:
    """Until the server accepts connections (requests then wait for a worker)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {process.communicate()[0]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listened on port {port} within {seconds} s")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer to look at, not to follow


_opener = urllib.request.build_opener(_NoRedirects)


def answer(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """The status and the JSON body (None when the body is not JSON) of a GET, unredirected."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with _opener.open(request, timeout=10) as response:
            status, body = int(response.status), response.read()
    except urllib.error.HTTPError as error:
        status, body = int(error.code), error.read()
    try:
        return status, json.loads(body)
    except ValueError:
        return status, None
