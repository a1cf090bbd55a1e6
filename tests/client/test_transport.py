"""The wire details of one GET: which answers we ask to have compressed."""

from __future__ import annotations

import gzip
import json

import pytest
import requests

from profileviewer.client import (
    ProfileRef,
    ProfilesClient,
    ProtocolError,
    RetryPolicy,
    UnavailableError,
)
from profileviewer.client.transport import (
    is_loopback,
    new_session,
    parse_json,
    request_headers,
)
from profileviewer.ratelimit import LocalBuckets
from tests.client.conftest import TOKEN, make_config, ok, status

REF = ProfileRef.parse("userId:qrc-117322")


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST", "api.localhost"],
)
def test_hosts_on_the_loopback_interface_are_recognised(host):
    assert is_loopback(host)


@pytest.mark.parametrize(
    "host",
    [None, "", "api.intilery.com", "10.0.0.5", "192.168.1.2", "::2", "localhost.example.com"],
)
def test_other_hosts_are_not_loopback(host):
    assert not is_loopback(host)


def test_a_remote_upstream_may_compress_its_answers():
    headers = request_headers("api.intilery.com", TOKEN)
    # No header of ours: the session's default (gzip, deflate) goes out.
    assert "accept-encoding" not in headers
    assert headers["auth-token"] == TOKEN
    assert headers["content-type"] == "application/json"


def test_a_loopback_upstream_is_asked_for_uncompressed_answers(hostile, client_for):
    hostile.will(ok({"id": "p-1", "externalId": "qrc-117322"}))
    client_for().traits(REF)
    headers = {name.lower(): value for name, value in hostile.requests[0]["headers"].items()}
    assert headers["accept-encoding"] == "identity"
    assert headers["content-type"] == "application/json"


def test_a_compressed_answer_is_still_read_when_the_server_sends_one_anyway(hostile, client_for):
    body = gzip.compress(json.dumps({"id": "p-1", "firstName": "Ada"}).encode())
    hostile.will(ok(None, raw=body, headers={"Content-Encoding": "gzip"}))
    [traits] = client_for().traits(REF)
    assert traits.first_name == "Ada"


def test_a_proxy_named_in_the_environment_still_carries_the_calls(hostile, monkeypatch):
    # A proxy set for the server (HTTP_PROXY) must be used, as requests would.
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", hostile.url.removesuffix("/api"))
    hostile.will(ok({"id": "p-1", "firstName": "Ada"}))
    config = make_config("http://profiles.example.test/api")
    client = ProfilesClient(config, session=new_session(), buckets=LocalBuckets())

    [traits] = client.traits(REF)

    assert traits.first_name == "Ada"
    [seen] = hostile.requests
    # A request sent to a proxy names the whole URL it is for.
    assert seen["path"].startswith("http://profiles.example.test/api/")
    assert seen["path"].endswith("/profiles/userId:qrc-117322/traits")
    assert seen["headers"]["auth-token"] == TOKEN


def test_a_ca_bundle_named_in_the_environment_is_still_used(monkeypatch):
    # As requests does for REQUESTS_CA_BUNDLE: a TLS-intercepting proxy's CA, for example.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corp-ca.pem")
    sent: dict = {}

    class Adapter:
        def send(self, prepared, **kwargs):
            sent.update(kwargs, url=prepared.url)
            raise requests.ConnectionError("not really sent")

    session = new_session()
    monkeypatch.setattr(session, "get_adapter", lambda url: Adapter())
    client = ProfilesClient(
        make_config("https://profiles.example.test/api"),
        session=session,
        buckets=LocalBuckets(),
        retry_policy=RetryPolicy(max_attempts=1),
    )
    with pytest.raises(UnavailableError):
        client.traits(REF)
    assert sent["verify"] == "/etc/ssl/corp-ca.pem"
    assert sent["url"].startswith("https://profiles.example.test/api/")


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": "p-1", "score": 0.1, "visits": 3, "tags": ["a", "b"], "vip": true, "x": null}',
        b'{"big": 123456789012345678901234567890, "neg": -9223372036854775809}',
        b"[2.2250738585072011e-308, 1e-400, -0.0, 1E2, 1.5e+3, 12345678901234567890.5]",
        b'{"name": "Zo\\u00eb", "city": "Z\\u00fcrich \\u2014 \\ud83d\\ude00"}',
        '{"name": "Zoë", "city": "Zürich — 😀"}'.encode(),
        b'{"a": 1, "a": 2}',  # the last of a repeated key
        b'{"score": NaN, "max": Infinity, "min": -Infinity}',  # not JSON, but json reads it
        b"[1e400]",
        '\ufeff{"id": "p-1"}'.encode(),  # a byte-order mark
        '{"id": "p-1"}'.encode("utf-16"),
        b'{"note": "\\ud800 alone"}',  # a lone surrogate, escaped
        b'{"note": "\xed\xa0\x80 alone"}',  # a lone surrogate, encoded (json reads it)
        b"[" * 500 + b"]" * 500,
    ],
)
def test_bodies_read_exactly_as_json_loads_reads_them(body):
    assert repr(parse_json(body)) == repr(json.loads(body))


@pytest.mark.parametrize("body", [b"", b"[1,]", b'{"a": 1}x', b"[01]", b'{"x": "\xff"}'])
def test_what_json_loads_refuses_is_refused(body):
    with pytest.raises(ValueError):
        parse_json(body)


def test_an_answer_nested_too_deep_to_read_is_a_protocol_error(hostile, client_for):
    # Deeper than Python's recursion limit: json.loads raises RecursionError, not ValueError.
    hostile.will(ok(None, raw=b"[" * 100_000 + b"]" * 100_000))
    with pytest.raises(ProtocolError, match="could not be read"):
        client_for().traits(REF)


def test_an_error_answer_nested_too_deep_to_read_is_still_its_status_error(hostile, client_for):
    hostile.will(status(503, None, raw=b"[" * 100_000 + b"]" * 100_000))
    with pytest.raises(UnavailableError):
        client_for(call_budget=0.3).traits(REF)
