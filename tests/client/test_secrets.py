"""The API key (PAPI-6) never shows in a log line, an error or a repr, on any path."""

import logging
import pickle
import socket

import pytest

from profileviewer.client import IntileryError, ProfileRef, ProfilesClient
from tests.client.conftest import TOKEN, make_config, ok, send, slow, status

REF = ProfileRef("email", "joe@example.com")


def echo_token_in_error(handler):
    """A hostile upstream that quotes our headers back in its error message."""
    body = {"error": {"code": "authentication_error", "message": handler.headers["auth-token"]}}
    send(handler, 401, body)


FAULTS = [
    echo_token_in_error,
    status(401, {"error": {"code": "authentication_error", "message": "Bad key."}}),
    status(400, {"error": {"code": "validation_error", "message": "Bad."}}),
    status(404, {"error": {"code": "not_found", "message": "No."}}),
    status(429, {"error": {"code": "rate_limit_error", "message": "Slow."}}),
    status(503, raw=b"<html>down</html>", content_type="text/html"),
    ok(None, raw=b"{not json"),
    ok({"x": 1}, content_type="text/plain"),
    ok(["wrong", "shape"]),
    status(302, raw=b"", headers={"Location": "http://127.0.0.1:1/"}),
    slow(1, ok({})),
]


@pytest.mark.parametrize("fault", FAULTS)
def test_no_error_path_leaks_the_token(hostile, client_for, caplog, fault):
    hostile.will(fault)
    client = client_for(call_budget=0.4, read_timeout=0.3)
    with (
        caplog.at_level(logging.DEBUG, logger="profileviewer"),
        pytest.raises(IntileryError) as caught,
    ):
        client.traits(REF)
    err = caught.value
    assert caplog.records, "each upstream call is logged"
    for text in (caplog.text, str(err), repr(err), repr(err.args), str(err.__cause__)):
        assert TOKEN not in text


def test_an_echoed_token_is_redacted_from_the_message(hostile, client_for):
    hostile.will(echo_token_in_error)
    with pytest.raises(IntileryError) as caught:
        client_for().traits(REF)
    assert "[redacted]" in caught.value.message


def test_connection_refused_does_not_leak_the_token(caplog):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = ProfilesClient(make_config(f"http://127.0.0.1:{port}", call_budget=0.3))
    with (
        caplog.at_level(logging.DEBUG, logger="profileviewer"),
        pytest.raises(IntileryError) as caught,
    ):
        client.traits(REF)
    assert TOKEN not in caplog.text + str(caught.value) + repr(caught.value)


def test_a_successful_call_logs_endpoint_status_and_request_id_and_its_path_only_at_debug(
    hostile, client_for, caplog
):
    hostile.will(ok({"data": [{"id": "a"}]}, request_id="rq-ok"))
    with caplog.at_level(logging.DEBUG, logger="profileviewer.client"):
        client_for().traits(REF)
    info, debug = [r for r in caplog.records if r.name == "profileviewer.client"]
    assert info.levelno == logging.INFO
    assert info.getMessage().startswith("Upstream GET traits 200 in ")
    assert "upstream req rq-ok" in info.getMessage()
    assert "joe" not in info.getMessage()  # the path names the customer
    assert debug.levelno == logging.DEBUG
    assert "/profiles/email:joe%40example.com/traits" in debug.getMessage()
    assert TOKEN not in info.getMessage() + debug.getMessage()


def test_authentication_failures_are_logged_as_errors(hostile, client_for, caplog):
    hostile.will(status(401, {"error": {"code": "authentication_error", "message": "No."}}))
    with (
        caplog.at_level(logging.DEBUG, logger="profileviewer.client"),
        pytest.raises(IntileryError),
    ):
        client_for().traits(REF)
    assert [r.levelno for r in caplog.records if r.levelno > logging.DEBUG] == [logging.ERROR]


def test_retries_are_logged_as_warnings(hostile, client_for, caplog):
    hostile.will(status(503), ok({"id": "a"}))
    with caplog.at_level(logging.WARNING, logger="profileviewer.client"):
        client_for().traits(ProfileRef("userId", "a"))
    [warning] = caplog.records
    assert "Retrying GET" in warning.getMessage() and "503" in warning.getMessage()


def test_config_and_client_reprs_hide_the_token(hostile):
    config = make_config(hostile.url, redis_url="redis://:hunter2@127.0.0.1:6379/11")
    client = ProfilesClient(config)
    for text in (repr(config), str(config), repr(client), str(client)):
        assert TOKEN not in text
        assert "hunter2" not in text


def test_errors_survive_pickling_without_the_token(hostile, client_for):
    hostile.will(echo_token_in_error)
    with pytest.raises(IntileryError) as caught:
        client_for().traits(REF)
    assert TOKEN.encode() not in pickle.dumps(caught.value)


def test_a_netrc_on_the_server_adds_no_credentials_to_upstream_calls(
    hostile, client_for, tmp_path, monkeypatch
):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password netrc-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    hostile.will(ok({"data": [{"id": "4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe"}]}))
    client_for().traits(REF)
    headers = {name.lower() for name in hostile.requests[0]["headers"]}
    assert "authorization" not in headers
    assert "auth-token" in headers
