"""The personalization API under any path, query, key and header: never a 5xx of ours (a
502/503/504 only when the upstream fails), and every error the API's JSON shape."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, quote_from_bytes

import pytest
from django.test import Client
from hypothesis import event, given
from hypothesis import strategies as st

from profileviewer.api import keys, ratelimit
from profileviewer.api.models import Access
from tests.property.conftest import FAILING_MODES, UPSTREAM_MODES, Upstream, settle
from tests.property.strategies import (
    fuzz_settings,
    mostly,
    numbers,
    query_strings,
    refs,
    text_values,
)

STOREFRONT = "https://shop.example.com"
SUB_RESOURCES = ["", "/summary", "/recommendations/viewed-not-purchased"]


@pytest.fixture
def service_key(db: None) -> str:
    # Thousands of requests a minute: past a real key's limit (tested in tests/api). A browser
    # key, for the Origin cases: full profiles answer 403 once the ref parses (access.py).
    ratelimit.reset()
    _, token = keys.create_service_key(
        "fuzz",
        rate_limit=1_000_000,
        rate_burst=1_000_000,
        allowed_origins=STOREFRONT,
        access=Access.NON_IDENTIFYING,
    )
    return token


def _path_segment(value: str | bytes) -> str:
    # `:` and `@` as a client writes them; everything else escaped, `/` included at times.
    if isinstance(value, bytes):
        return quote_from_bytes(value, safe="")
    return quote(value, safe=":@")


ref_segments = st.one_of(
    refs.map(lambda ref: quote(ref, safe=":@")),
    refs.map(_path_segment),
    text_values.map(_path_segment),
    st.binary(max_size=40).map(_path_segment),
    refs.map(lambda ref: quote(ref, safe=":@/")),  # a `/` in an id, not escaped
)
sub_resources = mostly(
    st.sampled_from(SUB_RESOURCES),
    st.sampled_from(["/", "/summary/", "/recommendations", "/summary/x", "//summary"])
    | text_values.map(lambda text: "/" + quote(text, safe="/")),
)
# "{key}" stands for the service key's token, made by the fixture.
authorizations = mostly(
    st.just("Bearer {key}"),
    st.sampled_from([None, "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "bearer  {key}", "{key}"])
    | text_values.map(lambda text: f"Bearer {text}")
    | text_values.map(lambda text: f"Bearer pvk_{text}_{text}"),
)
methods = mostly(st.just("GET"), st.sampled_from(["HEAD", "OPTIONS", "POST", "PUT", "DELETE"]))


def _header(value: str) -> str:
    # A header is latin-1 on the wire: what a WSGI server could hand over.
    return value.encode("utf-8", "replace").decode("latin-1")


def assert_api_answer(response: Any, method: str, what: str, *, upstream_failing: bool) -> None:
    status = response.status_code
    event(f"status {status}")
    allowed = status < 500 or (upstream_failing and status in (502, 503, 504))
    assert status >= 200 and allowed, f"{what} answered {status}: {response.content[:300]!r}"
    assert response["X-Request-Id"], what
    assert "no-store" in response["Cache-Control"], what
    if status == 204 or method == "HEAD":
        return
    assert response["Content-Type"].startswith("application/json"), what
    body = json.loads(response.content)
    if status >= 400:
        error = body["error"]
        assert set(error) == {"code", "message"}, what
        assert isinstance(error["code"], str) and error["code"], what
        assert isinstance(error["message"], str) and error["message"], what
        event(f"error {error['code']}")


@fuzz_settings(examples=800)
@given(
    ref=ref_segments,
    sub=sub_resources,
    query=query_strings(
        ["limit"],
        {"limit": mostly(st.integers(-5, 60).map(str), numbers)},
        max_pairs=4,
    ),
    authorization=authorizations,
    cache_control=st.none() | st.sampled_from(["no-cache", "No-Cache, max-age=0"]) | text_values,
    origin=st.none() | st.sampled_from([STOREFRONT, STOREFRONT + "/"]) | text_values,
    method=methods,
    raw_uri=st.sampled_from(["none", "RAW_URI", "REQUEST_URI"]),
    mode=st.sampled_from(UPSTREAM_MODES),
)
def test_a_profile_and_its_sub_resources_answer_any_request(
    service_key: str,
    upstream: Upstream,
    ref: str,
    sub: str,
    query: str,
    authorization: str | None,
    cache_control: str | None,
    origin: str | None,
    method: str,
    raw_uri: str,
    mode: str,
) -> None:
    upstream.answer(mode)
    path = f"/api/v1/profiles/{ref}{sub}"
    headers: dict[str, Any] = {"QUERY_STRING": query}
    if authorization is not None:
        headers["HTTP_AUTHORIZATION"] = _header(authorization.replace("{key}", service_key))
    if cache_control is not None:
        headers["HTTP_CACHE_CONTROL"] = _header(cache_control)
    if origin is not None:
        headers["HTTP_ORIGIN"] = _header(origin)
    if raw_uri != "none":
        # As gunicorn hands it over: the path before decoding, which the view splits itself.
        headers[raw_uri] = f"{path}?{query}"
    response = Client().generic(method, path, **headers)
    settle()
    what = f"{method} {path}?{query} {headers}"
    assert_api_answer(response, method, what, upstream_failing=mode in FAILING_MODES)


@fuzz_settings(examples=200)
@given(
    path=st.lists(
        text_values.map(_path_segment) | st.binary(max_size=20).map(_path_segment), max_size=4
    ).map("/".join),
    authorization=authorizations,
    method=methods,
)
def test_any_other_path_under_api_is_a_json_answer(
    service_key: str, upstream: Upstream, path: str, authorization: str | None, method: str
) -> None:
    headers: dict[str, Any] = {}
    if authorization is not None:
        headers["HTTP_AUTHORIZATION"] = _header(authorization.replace("{key}", service_key))
    response = Client().generic(method, f"/api/{path}", **headers)
    settle()
    assert_api_answer(response, method, f"{method} /api/{path}", upstream_failing=False)
