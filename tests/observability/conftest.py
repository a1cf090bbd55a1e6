"""Fixtures for health, metrics and logs: the viewer's and the API's personas on the sandbox,
Prometheus scrapes, the app's log lines as they are written, and a Redis of the test's own.

Personas and customers are the viewer's (alice, Joe on the sandbox) and the API's (the web
shop's key); see tests/viewer/conftest.py and tests/api/conftest.py.
"""

from __future__ import annotations

import io
import json
import logging
import logging.config
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from django.conf import settings
from django.test import Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

from profileviewer.audit import writer
from profileviewer.observability.logs import logging_config
from tests.api.conftest import api  # noqa: F401 (fixtures)
from tests.viewer.conftest import agent, alice, upstream  # noqa: F401 (fixtures)

METRICS_TOKEN = "metrics-token-for-the-tests-0123456789"


@pytest.fixture(autouse=True)
def _empty_audit_queue() -> Iterator[None]:
    writer.discard()  # what earlier tests' views queued belongs to their databases
    yield
    writer.discard()


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of a scrape, summed over the labels not given; 0 if absent."""
    return sum(
        item.value
        for family in text_string_to_metric_families(text)
        for item in family.samples
        if item.name == name and all(item.labels.get(k) == v for k, v in labels.items())
    )


@pytest.fixture
def scrape() -> Iterator[Callable[[], str]]:
    """GET /metrics with the token, as Prometheus would; the exposition text."""
    prometheus = Client()
    with override_settings(METRICS_TOKEN=METRICS_TOKEN):

        def get() -> str:
            response = prometheus.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
            assert response.status_code == 200
            return response.content.decode()

        yield get


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """The app's log lines, configured as in production (LOG_FORMAT=json) at DEBUG, each read
    back as JSON."""
    stream = io.StringIO()
    logging.config.dictConfig(logging_config("json", "DEBUG"))
    console = logging.getLogger("profileviewer").handlers[0]
    assert isinstance(console, logging.StreamHandler)
    console.setStream(stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logging.config.dictConfig(settings.LOGGING)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def private_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A redis-server of this test's own on a free loopback port (never the shared one), its
    URL and its process, which the test may kill."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server must be on PATH"
    port = _free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url, socket_connect_timeout=0.2).ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, "the private redis-server did not start"
            time.sleep(0.05)
    try:
        yield url, server
    finally:
        server.kill()
        server.wait(timeout=10)
