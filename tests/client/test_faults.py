"""The client against a hostile local upstream: every fault ends in the right typed error,
within the call budget, with the request id when there was one."""

import gzip
import socket
import threading
import time

import pytest

from profileviewer import __version__
from profileviewer.client import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    ProfileRef,
    ProtocolError,
    RateLimitError,
    UnavailableError,
    ValidationError,
)
from tests.client.conftest import TOKEN, ok, slow, status

JOE = {"id": "4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe", "externalId": "qrc-117322", "firstName": "Joe"}
REF = ProfileRef("userId", "qrc-117322")


def error(code, message="Something."):
    return {"error": {"code": code, "message": message}}


def test_traits_call_sends_the_documented_headers_and_path(hostile, client_for):  # PAPI-1,5,6
    hostile.will(ok(JOE))
    [traits] = client_for().traits(ProfileRef("userId", "acct/00042"))
    assert traits.first_name == "Joe"
    [request] = hostile.requests
    assert request["path"] == "/api/acme/main/ACME/v1/profiles/userId:acct%2F00042/traits"
    assert request["headers"]["auth-token"] == TOKEN
    assert request["headers"]["content-type"] == "application/json"
    assert request["headers"]["User-Agent"].startswith(f"ProfileViewer/{__version__} (+python-")


def test_email_lookup_returns_every_matching_profile(hostile, client_for):  # PAPI-14
    hostile.will(ok({"data": [JOE, {**JOE, "id": "other"}]}))
    profiles = client_for().traits(ProfileRef("email", "joe@example.com"))
    assert [p.id for p in profiles] == [JOE["id"], "other"]


def test_email_lookup_with_no_matches_is_not_found(hostile, client_for):
    hostile.will(ok({"data": []}))
    with pytest.raises(NotFoundError):
        client_for().traits(ProfileRef("email", "nobody@example.com"))


def test_unknown_profile_is_not_found_with_request_id_and_not_retried(hostile, client_for):
    hostile.will(status(404, error("not_found", "Customer not found."), request_id="rq-404"))
    with pytest.raises(NotFoundError) as caught:
        client_for().traits(REF)
    assert str(caught.value) == "[req rq-404] Customer not found."
    assert len(hostile.requests) == 1


@pytest.mark.parametrize(
    ("code", "status_code", "expected"),
    [
        ("validation_error", 400, ValidationError),
        ("invalid_request_error", 400, InvalidRequestError),
        ("authentication_error", 401, AuthenticationError),
    ],
)
def test_a_4xx_that_would_fail_again_is_never_retried(
    hostile, client_for, code, status_code, expected
):
    hostile.will(status(status_code, error(code)))
    client = client_for()
    with pytest.raises(expected):
        client.traits(REF)
    assert len(hostile.requests) == 1
    assert client.stats()["retries"] == 0


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_a_burst_of_server_errors_is_retried_until_it_passes(hostile, client_for, code):
    hostile.will(status(code, error("internal_server_error")), status(code), ok(JOE))
    client = client_for()
    [traits] = client.traits(REF)
    assert traits.id == JOE["id"]
    assert len(hostile.requests) == 3
    assert client.stats()["retries"] == 2


def test_persistent_server_errors_end_unavailable_within_the_budget(hostile, client_for):
    hostile.will(status(503, error("internal_server_error", "Down."), request_id="rq-503"))
    client = client_for(call_budget=1.0)
    started = time.monotonic()
    with pytest.raises(UnavailableError) as caught:
        client.traits(REF)
    assert time.monotonic() - started < 1.3
    assert caught.value.http_status == 503
    assert caught.value.request_id == "rq-503"
    assert 2 <= len(hostile.requests) <= 4


def test_an_html_error_page_from_a_proxy_is_unavailable(hostile, client_for):
    page = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
    hostile.will(status(502, raw=page, content_type="text/html", request_id=None))
    with pytest.raises(UnavailableError) as caught:
        client_for(call_budget=0.5).traits(REF)
    assert caught.value.http_status == 502
    assert "nginx" not in str(caught.value)


def test_latency_beyond_the_read_timeout_ends_unavailable_within_the_budget(hostile, client_for):
    hostile.will(slow(3, ok(JOE)))
    client = client_for(read_timeout=0.3, call_budget=1.0)
    started = time.monotonic()
    with pytest.raises(UnavailableError, match="did not answer in time"):
        client.traits(REF)
    assert time.monotonic() - started < 1.3


def test_a_slow_drip_body_is_cut_off_at_the_budget(hostile, client_for):
    def drip(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "200")
        handler.send_header("x-amzn-RequestId", "rq-drip")
        handler.end_headers()
        for _ in range(200):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.05)

    hostile.will(drip)
    client = client_for(read_timeout=0.5, call_budget=1.0)
    started = time.monotonic()
    with pytest.raises(UnavailableError) as caught:
        client.traits(REF)
    assert time.monotonic() - started < 1.5
    assert caught.value.request_id == "rq-drip"


def test_429_with_retry_after_waits_that_long_then_succeeds(hostile, client_for):  # PAPI-7
    hostile.will(status(429, error("rate_limit_error"), headers={"Retry-After": "0.3"}), ok(JOE))
    client = client_for()
    started = time.monotonic()
    client.traits(REF)
    assert time.monotonic() - started >= 0.3
    assert len(hostile.requests) == 2
    assert client.stats()["rate_limited"] == 1


def test_429_asking_for_longer_than_the_cap_gives_up_at_once(hostile, client_for):
    hostile.will(status(429, error("rate_limit_error"), headers={"Retry-After": "30"}))
    with pytest.raises(RateLimitError) as caught:
        client_for(max_retry_after=1.0).traits(REF)
    assert caught.value.retry_after == 30
    assert len(hostile.requests) == 1


def test_429_without_retry_after_backs_off_then_reports_rate_limited(hostile, client_for):
    hostile.will(status(429, error("rate_limit_error", "Too many.")))
    client = client_for(call_budget=1.0)
    started = time.monotonic()
    with pytest.raises(RateLimitError) as caught:
        client.traits(REF)
    assert time.monotonic() - started < 1.3
    assert caught.value.http_status == 429
    assert caught.value.retry_after is None
    assert len(hostile.requests) >= 2


def test_connection_refused_is_unavailable(client_for):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the call: nothing listens
    from profileviewer.client import ProfilesClient
    from tests.client.conftest import make_config

    client = ProfilesClient(make_config(f"http://127.0.0.1:{port}", call_budget=1.0))
    started = time.monotonic()
    with pytest.raises(UnavailableError, match="Could not connect"):
        client.traits(REF)
    assert time.monotonic() - started < 1.3
    assert client.stats()["calls"] >= 2  # retried


def truncated(handler):
    """An answer whose connection closes after 12 of its promised 1,000 bytes."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    handler.wfile.write(b'{"id": "4c90')
    handler.close_connection = True


def test_a_truncated_body_is_unavailable(hostile, client_for):
    hostile.will(truncated)
    with pytest.raises(UnavailableError, match="broke off"):
        client_for(call_budget=0.5).traits(REF)
    assert len(hostile.requests) > 1, "an answer cut off mid-body is retried"


def test_a_body_cut_off_once_is_retried_and_the_call_succeeds(hostile, client_for):
    hostile.will(truncated, ok(JOE))
    client = client_for()
    [traits] = client.traits(REF)
    assert traits.id == JOE["id"]
    assert len(hostile.requests) == 2
    assert client.stats()["retries"] == 1


def test_a_non_json_body_is_a_protocol_error_and_not_retried(hostile, client_for):
    hostile.will(status(200, raw=b'{"id": "4c90', request_id="rq-bad"))
    with pytest.raises(ProtocolError) as caught:
        client_for().traits(REF)
    assert caught.value.request_id == "rq-bad"
    assert len(hostile.requests) == 1


def test_a_wrong_content_type_is_a_protocol_error(hostile, client_for):
    hostile.will(ok(JOE, content_type="text/html"))
    with pytest.raises(ProtocolError, match="other than JSON"):
        client_for().traits(REF)


def test_a_wrong_shape_is_a_protocol_error_with_the_request_id(hostile, client_for):
    hostile.will(ok(["not", "a", "profile"], request_id="rq-shape"))
    with pytest.raises(ProtocolError) as caught:
        client_for().traits(REF)
    assert caught.value.request_id == "rq-shape"


def test_events_without_a_data_list_are_a_protocol_error(hostile, client_for):
    hostile.will(ok({"scrollId": "x", "events": []}))
    with pytest.raises(ProtocolError):
        client_for().events(REF)


def test_a_50_mb_body_is_refused_without_reading_it_all(hostile, client_for):
    sent = {"bytes": 0}
    stopped = threading.Event()

    def huge(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Connection", "close")  # no length: the client must count
        handler.end_headers()
        handler.close_connection = True
        chunk = b"[" + b"0," * 32767 + b"0"
        try:
            while sent["bytes"] < 50_000_000:
                handler.wfile.write(chunk)
                sent["bytes"] += len(chunk)
        except OSError:
            pass
        finally:
            stopped.set()

    hostile.will(huge)
    started = time.monotonic()
    with pytest.raises(ProtocolError, match="too large"):
        client_for(max_response_bytes=1_000_000).traits(REF)
    assert time.monotonic() - started < 1.0
    assert stopped.wait(5)  # the server stopped sending: the client hung up
    assert sent["bytes"] < 20_000_000  # stopped early (socket buffers absorb a few MB)


def test_a_declared_oversized_body_is_refused_before_reading(hostile, client_for):
    def declared(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "50000000")
        handler.end_headers()
        handler.close_connection = True

    hostile.will(declared)
    with pytest.raises(ProtocolError, match="50000000 bytes"):
        client_for(max_response_bytes=1_000_000).traits(REF)


def test_a_gzip_bomb_is_refused_by_its_decoded_size(hostile, client_for):
    bomb = gzip.compress(b" " * 5_000_000)
    hostile.will(ok(None, raw=bomb, headers={"Content-Encoding": "gzip"}))
    with pytest.raises(ProtocolError, match="too large"):
        client_for(max_response_bytes=1_000_000).traits(REF)


def test_a_redirect_is_not_followed_so_the_key_stays_home(hostile, client_for):
    hostile.will(status(302, raw=b"", headers={"Location": "http://example.com/steal"}))
    with pytest.raises(ProtocolError, match="redirected"):
        client_for().traits(REF)
    assert len(hostile.requests) == 1


@pytest.mark.parametrize("raw", [False, True], ids=["typed", "raw"])
def test_an_unreadable_events_page_is_a_protocol_error_with_its_status_and_request_id(
    hostile, client_for, raw
):
    hostile.will(ok(None, raw=b'{"data": [', request_id="rq-bad"))
    with pytest.raises(ProtocolError, match="could not be read") as caught:
        client_for().events(REF, raw=raw)
    assert caught.value.request_id == "rq-bad"
    assert caught.value.http_status == 200
    assert len(hostile.requests) == 1  # not retried: it would come back the same


@pytest.mark.parametrize("raw", [False, True], ids=["typed", "raw"])
def test_an_events_page_of_the_wrong_shape_is_not_kept(hostile, client_for, raw):  # PAPI-16
    bad = {"data": [{"eventTime": "2026-01-01T00:00:00Z", "eventAction": 5}]}
    good = {"data": [{"eventTime": "2026-01-01T00:00:00Z", "eventAction": "page_viewed"}]}
    hostile.will(ok(bad, request_id="rq-shape"), ok(good))
    client = client_for()
    with pytest.raises(ProtocolError, match="eventAction") as caught:
        client.events(REF, raw=raw)
    assert caught.value.request_id == "rq-shape"
    assert [e.action for e in client.events(REF, raw=raw).events] == ["page_viewed"]
    assert len(hostile.requests) == 2
