"""Paths under /api answer as the API does: a JSON error body with a request id, whatever bytes
the path holds (a line feed once fell past every API route to Django's HTML 404)."""

import pytest
from django.test import Client

# Percent-encoded as a client would send them: line feeds and carriage returns (which "."
# in a route's regex does not match), NUL, bytes that are not UTF-8, a line separator, and
# paths longer than any reference.
NASTY_PATHS = [
    "/api/v1/profiles/userId:%0a",
    "/api/v1/profiles/%0a",
    "/api/v1/profiles/userId:x%0d%0a/summary",
    "/api/v1/profiles/userId:x%0a/recommendations/viewed-not-purchased",
    "/api/v1/profiles/userId:a%2f%0a/summary",
    "/api/v1/profiles/userId:%00",
    "/api/v1/profiles/userId:%ff",
    "/api/v1/profiles/email:%ff%fe@example.com/summary",
    "/api/v1/profiles/userId:%e2%80%a8",
    "/api/v1/profiles/userId:" + "a" * 5000,
    "/api/v1/profiles/" + "%0a" * 3000,
    "/api/v1/openapi.json%0a",
    "/api/v1/%0a",
    "/api/%0a",
    "/api/v9/%00/%ff/%0a",
    "/api/" + "x/" * 5000,
]


def assert_api_error(response, path: str) -> None:
    assert 400 <= response.status_code < 500, path
    assert response["Content-Type"].startswith("application/json"), path
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"], path
    assert isinstance(error["message"], str) and error["message"], path
    assert response["X-Request-Id"], path
    assert "no-store" in response["Cache-Control"], path


@pytest.mark.parametrize("path", ["/api", "/api/", "/api/v2/profiles/userId:x", "/api/v1"])
def test_a_path_under_api_that_names_no_endpoint_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize("path", NASTY_PATHS)
def test_any_bytes_in_the_path_without_a_key_get_the_apis_json_error(path):
    assert_api_error(Client().get(path), path)


@pytest.mark.parametrize("path", NASTY_PATHS)
def test_any_bytes_in_the_path_with_a_key_get_the_apis_json_error(api, path):
    browser = Client(HTTP_AUTHORIZATION=f"Bearer {api.shop_token}")
    assert_api_error(browser.get(path), path)
    # As gunicorn hands it over: the raw URI, which the profile route splits before decoding.
    assert_api_error(browser.get(path, REQUEST_URI=path), path)


def test_a_line_feed_in_a_reference_is_refused_as_a_bad_reference(api):
    browser = Client(HTTP_AUTHORIZATION=f"Bearer {api.shop_token}")
    response = browser.get("/api/v1/profiles/userId:%0a")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
