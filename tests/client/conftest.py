"""Fixtures for the client's tests: a hostile local upstream and clients pointed at it."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from profileviewer.client import ClientConfig, ProfilesClient
from profileviewer.ratelimit import LocalBuckets

TOKEN = "s3cr3t-token-never-shown-0123456789"

Behaviour = Callable[[BaseHTTPRequestHandler], None]


def send(
    handler: BaseHTTPRequestHandler,
    status: int = 200,
    body: Any = None,
    *,
    raw: bytes | None = None,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    request_id: str | None = "req-1111-2222",
) -> None:
    payload = raw if raw is not None else json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(payload)))
    if request_id:
        handler.send_header("x-amzn-RequestId", request_id)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(payload)


def ok(body: Any, **kwargs: Any) -> Behaviour:
    return lambda handler: send(handler, 200, body, **kwargs)


def status(code: int, body: Any = None, **kwargs: Any) -> Behaviour:
    return lambda handler: send(handler, code, body, **kwargs)


class HostileServer:
    """Answers each request with the next behaviour of its script (the last one repeats)."""

    def __init__(self) -> None:
        self.script: list[Behaviour] = [ok({})]
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                with server._lock:
                    server.requests.append(
                        {"path": self.path, "headers": dict(self.headers.items())}
                    )
                    behaviour = server.script.pop(0) if len(server.script) > 1 else server.script[0]
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    behaviour(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def will(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self.script = list(behaviours)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    server = HostileServer()
    yield server
    server.close()


def make_config(url: str, **overrides: Any) -> ClientConfig:
    config = ClientConfig(
        base_url=url,
        client_id="acme",
        account_id="main",
        brand_id="ACME",
        api_token=TOKEN,
        connect_timeout=0.5,
        read_timeout=0.5,
        call_budget=2.0,
        max_retry_after=1.0,
        rate_limit=1000.0,
        rate_burst=1000,
        cache_ttl=15,
        max_response_bytes=1_000_000,
    )
    return replace(config, **overrides)


@pytest.fixture
def client_for(hostile: HostileServer) -> Callable[..., ProfilesClient]:
    def build(**overrides: Any) -> ProfilesClient:
        # Buckets of its own: a test's calls never wait on another test's tokens.
        return ProfilesClient(make_config(hostile.url, **overrides), buckets=LocalBuckets())

    return build


def slow(seconds: float, then: Behaviour) -> Behaviour:
    def behaviour(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        then(handler)

    return behaviour
