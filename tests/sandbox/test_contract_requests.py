"""What every request to the sandbox must carry, and what every response carries back.

PAPI-5 (content-type), PAPI-6 (auth-token, tenant), PAPI-8 (1 MB), PAPI-9 (request id),
PAPI-10/19/20 (JSON errors), plus the wrong-method and unknown-path answers.
"""

import io
import logging
import uuid

import pytest

from profileviewer.sandbox import queries
from tests.sandbox.factories import (
    JSON_HEADERS,
    TOKEN,
    api_fixture,  # noqa: F401
    assert_error,
    make_profile,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

MB = 1_048_576


@pytest.fixture
def joe():
    return make_profile(external_id="qrc-117322", email="joe.bloggs@example.com", first_name="Joe")


def test_a_good_request_gets_json_and_a_uuid_request_id(api, joe):  # PAPI-9, PAPI-10
    response = api.profile("userId:qrc-117322", "traits")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    uuid.UUID(response.headers["x-amzn-RequestId"])


def test_every_response_has_its_own_request_id(api, joe):  # PAPI-9
    ids = {api.profile("userId:qrc-117322", "traits").headers["x-amzn-RequestId"] for _ in range(3)}
    assert len(ids) == 3


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON"])
def test_content_type_may_carry_a_charset_or_other_case(api, joe, content_type):  # PAPI-5
    response = api.profile("userId:qrc-117322", "traits", headers={"content-type": content_type})
    assert response.status_code == 200


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/xml", ""])
def test_missing_or_other_content_type_is_an_invalid_request(api, joe, content_type):  # PAPI-5
    headers = {"auth-token": TOKEN}
    if content_type is not None:
        headers["content-type"] = content_type
    response = api.profile("userId:qrc-117322", "traits", headers=headers, replace_headers=True)
    message = assert_error(response, 400, "invalid_request_error")
    assert "application/json" in message


def test_missing_auth_token_is_an_authentication_error(api, joe):  # PAPI-6
    response = api.profile(
        "userId:qrc-117322",
        "traits",
        headers={"content-type": "application/json"},
        replace_headers=True,
    )
    assert_error(response, 401, "authentication_error")


def test_wrong_auth_token_is_an_authentication_error_that_never_echoes_it(api, joe):  # PAPI-6
    response = api.profile("userId:qrc-117322", "traits", headers={"auth-token": "guess-123456"})
    message = assert_error(response, 401, "authentication_error")
    assert "guess-123456" not in response.text
    assert TOKEN not in message


@pytest.mark.parametrize(
    "tenant", [("other", "demo", "DEMO"), ("demo", "other", "DEMO"), ("demo", "demo", "demo")]
)
def test_a_tenant_the_token_does_not_belong_to_is_an_authentication_error(
    api, joe, tenant
):  # PAPI-6
    response = api.call(f"{api.profiles_url(tenant)}/userId:qrc-117322/traits")
    assert_error(response, 401, "authentication_error")


def test_the_token_never_appears_in_any_response(api, joe):  # PAPI-6
    for response in (
        api.profile("userId:qrc-117322", "traits"),
        api.profile("userId:qrc-117322", "meta"),
        api.events("userId:qrc-117322"),
        api.profile("userId:nobody", "traits"),
        api.listing(),
    ):
        assert TOKEN not in response.text
        assert all(TOKEN not in value for value in response.headers.values())


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])
def test_methods_other_than_get_are_405_with_a_json_body_and_allow_header(api, joe, method):
    response = api.profile("userId:qrc-117322", "traits", method=method, data=b"{}")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    uuid.UUID(response.headers["x-amzn-RequestId"])
    if method != "HEAD":  # a HEAD response has no body by definition
        assert_error(response, 405, "invalid_request_error")


def test_a_body_over_one_megabyte_is_413_naming_the_limit(api, joe):  # PAPI-8
    response = api.profile("userId:qrc-117322", "traits", data=b"x" * (MB + 1))
    message = assert_error(response, 413, "invalid_request_error")
    assert "1 MB" in message


def test_a_body_of_exactly_one_megabyte_is_accepted(api, joe):  # PAPI-8
    response = api.profile("userId:qrc-117322", "traits", data=b"x" * MB)
    assert response.status_code == 200


def test_a_post_over_the_limit_is_still_answered_as_a_wrong_method(api, joe):
    response = api.profile("userId:qrc-117322", "traits", method="POST", data=b"x" * (3 * MB))
    assert_error(response, 405, "invalid_request_error")


@pytest.mark.parametrize(
    "path",
    [
        "/nothing-here",
        "/demo/demo/DEMO/v2/profiles",
        "/demo/demo/DEMO/v1/profiles/userId:qrc-117322/orders",
        "/demo/demo/DEMO/v1/profiles/userId:qrc-117322/traits/",
        "/demo/demo/DEMO/v1/profiles/userId:qrc-117322",
    ],
)
def test_unknown_paths_are_json_404s_not_redirects(api, joe, path):  # PAPI-10, PAPI-20
    response = api.call(api.root + path, headers=JSON_HEADERS)
    assert response.history == []
    assert_error(response, 404, "not_found")


def test_an_unexpected_failure_is_a_json_500_not_an_html_page(api, joe, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(queries, "profiles_for", broken)
    response = api.profile("userId:qrc-117322", "traits")
    message = assert_error(response, 500, "internal_server_error")
    assert "database went away" not in message
    assert response.headers["x-amzn-RequestId"] in message


def test_a_failure_is_logged_with_its_request_id_and_never_the_token(api, joe, monkeypatch):
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(queries, "profiles_for", broken)
    handler = Keep()
    logging.getLogger("profileviewer.sandbox").addHandler(handler)
    try:
        response = api.profile("userId:qrc-117322", "traits")
    finally:
        logging.getLogger("profileviewer.sandbox").removeHandler(handler)
    logged = "\n".join(logging.Formatter("%(message)s").format(record) for record in records)
    assert response.headers["x-amzn-RequestId"] in logged
    assert "database went away" in logged
    assert TOKEN not in logged


def _traits_via_wsgi(client, body: bytes, **environ):
    return client.generic(
        "GET",
        "/sandbox/demo/demo/DEMO/v1/profiles/userId:qrc-117322/traits",
        data=body,
        content_type="application/json",
        HTTP_AUTH_TOKEN=TOKEN,
        **environ,
    )


def test_a_chunked_body_over_one_megabyte_is_413(client, joe):  # PAPI-8
    # Chunked bodies carry no Content-Length (gunicorn passes them through); the live
    # test server cannot receive them, so this goes through the WSGI handler directly.
    def chunked(body: bytes):
        # A plain stream, as a server hands over a de-chunked body of unknown length.
        environ = {
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": "",
            "CONTENT_TYPE": "application/json",
        }
        return _traits_via_wsgi(client, b"", HTTP_TRANSFER_ENCODING="chunked", **environ)

    assert_error(chunked(b"x" * (MB + 1)), 413, "invalid_request_error")
    assert chunked(b"x" * MB).status_code == 200


def test_a_content_length_that_is_not_a_number_is_an_invalid_request(client, joe):  # PAPI-8
    response = _traits_via_wsgi(client, b"", CONTENT_LENGTH="lots", CONTENT_TYPE="application/json")
    assert "Content-Length" in assert_error(response, 400, "invalid_request_error")


def test_the_sandbox_root_points_to_its_document_and_listing(api):
    response = api.call(f"{api.root}/", replace_headers=True)
    assert response.status_code == 200
    uuid.UUID(response.headers["x-amzn-RequestId"])
    body = response.json()
    assert body["openapi"] == f"{api.root}/openapi.json"
    assert body["profiles"] == f"{api.root}/{{clientId}}/{{accountId}}/{{brandId}}/v1/profiles"


@pytest.mark.parametrize("declared", ["²", "١٢", "1" * 5001])
def test_a_content_length_of_non_ascii_or_huge_digits_is_not_a_500(client, joe, declared):
    # PAPI-19, PAPI-20. The live server's HTTP parser would refuse such a header itself,
    # so like the test above this goes through the WSGI handler.
    response = _traits_via_wsgi(
        client, b"", CONTENT_LENGTH=declared, CONTENT_TYPE="application/json"
    )
    status = 413 if declared.isascii() else 400
    assert_error(response, status, "invalid_request_error")
