"""A pytest plugin: every response the app gives and every log line, in the whole run, are
searched for the configured secrets; the run fails at its end if one appears.

Secrets: the Intilery auth-token, SECRET_KEY, the Pipedrive API token and JWT secret, the
metrics token, the development keys' Pipedrive secret and Zendesk private key, and every
service key and customer-token signing secret a test creates or rotates. The admin shows a new
key or signing secret once by design, so its pages are searched for every secret but those.
The sandbox (`/sandbox/`) is the upstream, not the app: its demo page shows its own demo token
by design, so its answers are not searched (its log lines are).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import pytest

_found: list[str] = []
_service_keys: set[str] = set()


def _secrets(*, keys_too: bool = True) -> list[str]:
    from django.conf import settings

    from profileviewer.embed import devkeys

    values = [
        settings.INTILERY_API_TOKEN,
        settings.SECRET_KEY,
        settings.PIPEDRIVE_API_TOKEN or "sandbox-pipedrive-token",
        settings.PIPEDRIVE_JWT_SECRET or "",
        settings.METRICS_TOKEN or "",
        *(_service_keys if keys_too else ()),
    ]
    keys = devkeys.dev_keys()
    values += [keys.pipedrive_secret, *keys.zendesk_private_key.splitlines()[1:-1]]
    return [v for v in values if v and len(v) >= 8]


def _search(where: str, text: str, *, keys_too: bool = True) -> None:
    for secret in _secrets(keys_too=keys_too):
        if secret in text:
            _found.append(f"{where}: contains a secret ({secret[:4]}…)")


_FORMAT = logging.Formatter("%(name)s %(levelname)s %(message)s")


def _watch_logs() -> None:
    """Every record any logger handles (not only the root's: ours do not propagate)."""
    handle = logging.Logger.handle

    def handle_and_search(self: logging.Logger, record: logging.LogRecord) -> None:
        # A watcher must never break the logging it watches.
        with contextlib.suppress(Exception):
            _search(f"log line of {record.name}", _FORMAT.format(record))
        handle(self, record)

    logging.Logger.handle = handle_and_search  # type: ignore[method-assign]


def pytest_configure(config: pytest.Config) -> None:
    from django.core.handlers.base import BaseHandler

    from profileviewer.api import keys

    create, rotate, new_signing_secret = (
        keys.create_service_key,
        keys.rotate_service_key,
        keys.new_signing_secret,
    )

    def create_and_remember(*args: Any, **kwargs: Any) -> Any:
        key, token = create(*args, **kwargs)
        _service_keys.add(token)
        return key, token

    def rotate_and_remember(*args: Any, **kwargs: Any) -> Any:
        issued = rotate(*args, **kwargs)
        _service_keys.add(issued.token)
        return issued

    def signing_secret_remembered() -> str:
        secret = new_signing_secret()
        _service_keys.add(secret)
        return secret

    keys.create_service_key = create_and_remember  # type: ignore[assignment]
    keys.rotate_service_key = rotate_and_remember  # type: ignore[assignment]
    keys.new_signing_secret = signing_secret_remembered  # type: ignore[assignment]

    get_response = BaseHandler.get_response

    def get_response_and_search(self: BaseHandler, request: Any) -> Any:
        response = get_response(self, request)
        if not request.path.startswith("/sandbox/"):
            body = "" if response.streaming else response.content.decode("utf-8", "replace")
            headers = "\n".join(f"{k}: {v}" for k, v in response.items())
            where = f"response to {request.method} {request.path[:80]}"
            _search(where, headers + body, keys_too=not request.path.startswith("/admin/"))
        return response

    BaseHandler.get_response = get_response_and_search  # type: ignore[method-assign]
    _watch_logs()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _found:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("Secrets found in responses or logs:", red=True)
            for line in sorted(set(_found))[:50]:
                reporter.write_line(f"  {line}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
