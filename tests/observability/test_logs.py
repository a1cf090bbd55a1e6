"""One JSON line per request and per upstream call, joined by our request id; customer
identifiers only at DEBUG."""

from __future__ import annotations

import logging
import socket

import pytest
from django.test import override_settings

from profileviewer.observability.logs import logging_config
from tests.viewer.conftest import HTMX, JOE

pytestmark = pytest.mark.django_db

JOE_EMAIL = "email:joe.bloggs@example.com"
CUSTOMER_TEXT = ("qrc-117322", "joe.bloggs", "nobody@example.com", "sam-taylor")


def lines_of(lines, logger):
    return [line for line in lines if line["logger"] == logger]


def test_a_panel_writes_its_request_line_and_one_line_per_upstream_call_with_one_id(
    agent, upstream, log_lines
):
    response = agent.get("/profile/summary", {"ref": JOE}, **HTMX)
    assert response.status_code == 200
    lines = log_lines()
    [request_line] = [
        line
        for line in lines_of(lines, "profileviewer.requests")
        if line["route"] == "viewer:summary"
    ]
    assert request_line["level"] == "INFO"
    assert request_line["method"] == "GET"
    assert request_line["status"] == 200
    assert request_line["actor"] == "alice"
    assert request_line["duration_ms"] > 0
    assert request_line["time"].endswith("+00:00")
    assert request_line["request_id"] == response["X-Request-Id"]

    calls = [line for line in lines_of(lines, "profileviewer.client") if line["level"] == "INFO"]
    # The summary reads its windows on worker threads (profileviewer/parallel.py): each of
    # those calls is still this request's.
    assert len(calls) >= 5
    assert {call["request_id"] for call in calls} == {request_line["request_id"]}
    assert {call["endpoint"] for call in calls} >= {"meta", "events"}
    for call in calls:
        assert call["status"] == "200"
        assert call["upstream_request_id"]
        assert call["duration_ms"] > 0


def test_an_api_call_logs_the_same_id_its_caller_got_and_the_keys_name_not_the_key(api, log_lines):
    response = api.get("/api/v1/profiles/userId:qrc-117322", api.shop_token)
    assert response.status_code == 200
    lines = log_lines()
    [request_line] = [
        line for line in lines_of(lines, "profileviewer.requests") if line["route"] == "api:profile"
    ]
    assert request_line["request_id"] == response.headers["X-Request-Id"]
    assert request_line["actor"].startswith("web shop (")
    assert api.shop_token not in request_line["actor"]
    calls = lines_of(lines, "profileviewer.client")
    assert calls and all(call["request_id"] == request_line["request_id"] for call in calls)


def test_no_customer_identifier_is_logged_above_debug(agent, upstream, api, log_lines):
    agent.get("/profile/traits", {"ref": JOE}, **HTMX)
    agent.get("/lookup", {"q": "joe.bloggs@example.com"})
    api.get("/api/v1/profiles/email:nobody@example.com", api.shop_token)  # a 404
    with override_settings(SANDBOX_FAULT_ERROR_RATE=1.0):  # retries, 5xx lines, a panel error
        agent.get("/profile/meta", {"ref": "userId:sam-taylor-uk"}, **HTMX)
    lines = log_lines()
    above_debug = [str(line) for line in lines if line["level"] != "DEBUG"]
    assert any("Retrying GET meta" in line for line in above_debug)
    for text in CUSTOMER_TEXT:
        assert not [line for line in above_debug if text in line], text
    # At DEBUG the path is there, for whoever turns it on to chase one customer's problem.
    assert any("qrc-117322" in str(line) for line in lines if line["level"] == "DEBUG")


def test_the_pipedrive_entrys_token_never_reaches_a_log_line(client, log_lines):
    client.get("/embed/pipedrive/", {"token": "pipedrive-query-token-123456"})
    lines = log_lines()
    [request_line] = [
        line
        for line in lines_of(lines, "profileviewer.requests")
        if line["route"] == "embed:pipedrive"
    ]
    assert "pipedrive-query-token-123456" not in str(lines)
    assert request_line["status"] in (200, 400, 401, 403)


def test_health_probes_are_logged_only_at_debug(client, log_lines):
    client.get("/healthz")
    [line] = [
        line
        for line in lines_of(log_lines(), "profileviewer.requests")
        if line["route"] == "healthz"
    ]
    assert line["level"] == "DEBUG"


def test_a_failing_readiness_probe_is_one_warning_and_no_error(client, log_lines):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed once the block ends: nothing listens there
    unreachable = f"http://127.0.0.1:{port}/sandbox"
    with override_settings(INTILERY_API_URL=unreachable, READYZ_UPSTREAM_BUDGET=0.5):
        assert client.get("/readyz").status_code == 503
    lines = log_lines()
    assert lines_of(lines, "django.request") == []
    [line] = [
        line for line in lines_of(lines, "profileviewer.requests") if line["route"] == "readyz"
    ]
    assert (line["level"], line["status"]) == ("WARNING", 503)
    assert line["request_id"] != "-"


def test_a_probe_that_crashes_keeps_its_traceback(client, log_lines, monkeypatch):
    def fail(multiprocess_dir: object) -> tuple[bytes, str]:
        raise RuntimeError("the metrics folder is gone")

    monkeypatch.setattr("profileviewer.observability.metrics.exposition", fail)
    client.raise_request_exception = False
    with override_settings(METRICS_TOKEN="metrics-token-for-this-test-0123456789"):
        response = client.get(
            "/metrics", HTTP_AUTHORIZATION="Bearer metrics-token-for-this-test-0123456789"
        )
    assert response.status_code == 500
    [error] = lines_of(log_lines(), "django.request")
    assert error["level"] == "ERROR"
    assert "the metrics folder is gone" in error["exc_info"]


def test_development_logs_are_plain_text_with_the_request_id(agent, upstream, capsys):
    config = logging_config("text", "INFO")
    assert config["handlers"]["console"]["formatter"] == "text"
    logging.config.dictConfig(config)
    try:
        response = agent.get("/profile/traits", {"ref": JOE}, **HTMX)
        err = capsys.readouterr().err
    finally:
        from django.conf import settings

        logging.config.dictConfig(settings.LOGGING)
    [line] = [line for line in err.splitlines() if "viewer:traits" in line]
    assert f"[{response['X-Request-Id']}]" in line
    assert line.split(" ")[2] == "INFO"
    assert "{" not in line
