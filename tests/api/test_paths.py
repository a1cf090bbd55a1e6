"""Paths under /api that name no endpoint answer as the API does: a JSON error body."""

import pytest


@pytest.mark.parametrize("path", ["/api", "/api/", "/api/v2/profiles/userId:x", "/api/v1"])
def test_a_path_under_api_that_names_no_endpoint_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_found"
