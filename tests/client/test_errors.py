"""Mapping upstream answers to the error a caller handles (PAPI-19, PAPI-20)."""

from datetime import UTC, datetime

import pytest
import requests

from profileviewer.client import (
    AuthenticationError,
    IntileryError,
    InvalidRequestError,
    NotFoundError,
    ProtocolError,
    RateLimitError,
    UnavailableError,
    ValidationError,
    error_from_response,
)
from profileviewer.client.errors import parse_retry_after


def response(status, body=b"", headers=None):
    resp = requests.Response()
    resp.status_code = status
    resp._content = body
    resp.headers.update(headers or {})
    return resp


def error_body(code, message):
    return f'{{"error": {{"code": "{code}", "message": "{message}"}}}}'.encode()


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, "validation_error", ValidationError),
        (400, "invalid_request_error", InvalidRequestError),
        (401, "authentication_error", AuthenticationError),
        (404, "not_found", NotFoundError),
        (413, "invalid_request_error", InvalidRequestError),
        (429, "rate_limit_error", RateLimitError),
        (500, "internal_server_error", UnavailableError),
        (502, "internal_server_error", UnavailableError),
        (503, "internal_server_error", UnavailableError),
        (504, "internal_server_error", UnavailableError),
    ],
)
def test_each_documented_status_maps_to_the_error_for_what_to_do_next(status, code, expected):
    # PAPI-20
    err = error_from_response(
        response(status, error_body(code, "Something."), {"x-amzn-RequestId": "1111-2222"})
    )
    assert type(err) is expected
    assert err.http_status == status
    assert err.code == code
    assert err.message == "Something."
    assert err.request_id == "1111-2222"


def test_validation_error_is_also_an_invalid_request():
    err = error_from_response(response(400, error_body("validation_error", "Bad size.")))
    assert isinstance(err, InvalidRequestError)


def test_str_starts_with_the_request_id_so_agents_can_quote_it():  # PAPI-9
    err = error_from_response(
        response(404, error_body("not_found", "Customer not found."), {"x-amzn-RequestId": "ab-1"})
    )
    assert str(err) == "[req ab-1] Customer not found."


def test_str_without_a_request_id_is_just_the_message():
    assert str(NotFoundError()) == "Customer not found."


def test_html_error_page_from_a_proxy_still_maps_by_status():
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    err = error_from_response(response(502, page, {"Content-Type": "text/html"}))
    assert isinstance(err, UnavailableError)
    assert "502" in err.message
    assert "<html>" not in str(err)


def test_non_json_4xx_gets_our_own_message():
    err = error_from_response(response(400, b"Bad Request"))
    assert type(err) is InvalidRequestError
    assert err.code is None
    assert "HTTP 400" in err.message


def test_rate_limit_error_carries_retry_after_seconds():  # PAPI-7
    err = error_from_response(
        response(429, error_body("rate_limit_error", "Slow down."), {"Retry-After": "2"})
    )
    assert isinstance(err, RateLimitError)
    assert err.retry_after == 2.0


def test_rate_limit_error_without_retry_after_has_none():
    err = error_from_response(response(429, error_body("rate_limit_error", "Slow down.")))
    assert isinstance(err, RateLimitError)
    assert err.retry_after is None


def test_retry_after_accepts_an_http_date():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:03 GMT", now=now) == 3.0


@pytest.mark.parametrize("value", ["soon", "", None, "nan", "inf"])
def test_unreadable_retry_after_is_ignored(value):
    assert parse_retry_after(value) is None


def test_negative_retry_after_means_now():
    assert parse_retry_after("-5") == 0.0


def test_an_unexpected_status_is_a_protocol_error():
    assert isinstance(error_from_response(response(302, b"")), ProtocolError)


def test_every_error_is_an_intilery_error():
    for cls in (
        AuthenticationError,
        InvalidRequestError,
        ValidationError,
        NotFoundError,
        RateLimitError,
        UnavailableError,
        ProtocolError,
    ):
        assert issubclass(cls, IntileryError)


def test_repr_names_every_field():
    err = RateLimitError("Slow.", http_status=429, code="rate_limit_error", retry_after=1.5)
    assert repr(err) == (
        "RateLimitError(message='Slow.', http_status=429, code='rate_limit_error', "
        "request_id=None, retry_after=1.5)"
    )
