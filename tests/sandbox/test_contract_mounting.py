"""The sandbox is mounted only when SANDBOX=true: a production configuration never exposes it."""

import importlib

import pytest
import requests
from django.test import override_settings
from django.urls import Resolver404, clear_url_caches, resolve

import profileviewer.urls

pytestmark = [pytest.mark.django_db(transaction=True)]


@pytest.fixture
def urls_without_sandbox():
    with override_settings(SANDBOX=False):
        clear_url_caches()
        importlib.reload(profileviewer.urls)
        try:
            yield
        finally:
            clear_url_caches()
    importlib.reload(profileviewer.urls)
    clear_url_caches()


def sandbox_view_for(path):
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.func if match.func.__module__.startswith("profileviewer.sandbox") else None


def test_the_sandbox_is_mounted_in_sandbox_mode():
    assert sandbox_view_for("/sandbox/openapi.json") is not None
    assert sandbox_view_for("/sandbox/demo/demo/DEMO/v1/profiles") is not None


def test_without_sandbox_mode_no_sandbox_path_resolves(urls_without_sandbox):
    for path in (
        "/sandbox/openapi.json",
        "/sandbox/demo/demo/DEMO/v1/profiles",
        "/sandbox/demo/demo/DEMO/v1/profiles/userId:joe/traits",
        "/sandbox/products/SKU-1.svg",
    ):
        assert sandbox_view_for(path) is None, path


def test_without_sandbox_mode_the_server_does_not_answer_as_the_sandbox(
    urls_without_sandbox, live_server
):
    response = requests.get(
        f"{live_server.url}/sandbox/demo/demo/DEMO/v1/profiles",
        headers={"content-type": "application/json", "auth-token": "sandbox-token"},
        allow_redirects=False,
        timeout=10,
    )
    assert "x-amzn-RequestId" not in response.headers
    assert response.status_code != 200


def test_the_mount_is_restored_after_the_check():
    assert sandbox_view_for("/sandbox/openapi.json") is not None
