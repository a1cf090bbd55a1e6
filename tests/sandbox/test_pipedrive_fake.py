"""The sandbox's fake Pipedrive API v1: persons, deals, auth, 404s and injected faults."""

import importlib
import time

import pytest
from django.test import override_settings
from django.urls import Resolver404, clear_url_caches, resolve

import profileviewer.urls
from profileviewer.sandbox.pipedrive import ERROR_INFO, SANDBOX_TOKEN

ROOT = "/sandbox/pipedrive/v1"
AUTH = {"HTTP_X_API_TOKEN": SANDBOX_TOKEN}
CONFIGURED_TOKEN = "configured-pipedrive-token-5f1c"


def get(client, path, **extra):
    return client.get(f"{ROOT}/{path}", **{**AUTH, **extra})


def assert_pipedrive_error(response, status, message):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert body["error"] == message
    assert body["errorCode"] == status
    assert body["error_info"] == ERROR_INFO


def primary_email(person):
    return next(entry["value"] for entry in person["email"] if entry["primary"])


def test_joe_lists_an_old_secondary_email_before_his_primary_one(client):
    response = get(client, "persons/1")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    joe = body["data"]
    assert (joe["id"], joe["name"]) == (1, "Joe Bloggs")
    assert (joe["first_name"], joe["last_name"]) == ("Joe", "Bloggs")
    assert joe["email"][0] == {
        "label": "other",
        "value": "joe@old-mail.example",
        "primary": False,
    }
    assert primary_email(joe) == "joe.bloggs@example.com"
    assert joe["phone"][0]["primary"] is True
    assert joe["org_name"] == "Bloggs Outdoor Ltd"
    assert joe["org_id"]["value"] == 1


def test_sam_has_the_email_two_customer_profiles_share(client):
    sam = get(client, "persons/2").json()["data"]
    assert sam["name"] == "Sam Taylor"
    assert primary_email(sam) == "sam.taylor@example.com"
    assert (sam["org_id"], sam["org_name"]) == (None, None)


def test_a_person_without_email_has_pipedrives_empty_primary_entry(client):
    nobody = get(client, "persons/3").json()["data"]
    assert nobody["name"] == "No Email Person"
    assert nobody["email"] == [{"value": "", "primary": True}]


def test_deal_1_names_joe_in_pipedrives_object_form(client):
    response = get(client, "deals/1")
    assert response.status_code == 200
    deal = response.json()["data"]
    assert deal["title"] == "Winter jackets order"
    person = deal["person_id"]
    assert (person["name"], person["value"]) == ("Joe Bloggs", 1)
    assert primary_email(person) == "joe.bloggs@example.com"
    assert deal["person_name"] == "Joe Bloggs"


def test_deal_2_has_no_person(client):
    deal = get(client, "deals/2").json()["data"]
    assert deal["person_id"] is None
    assert deal["person_name"] is None


@pytest.mark.parametrize(
    "path,message",
    [
        ("persons/4", "Person not found"),
        ("persons/0", "Person not found"),
        ("deals/3", "Deal not found"),
    ],
)
def test_an_unknown_id_is_pipedrives_404(client, path, message):
    assert_pipedrive_error(get(client, path), 404, message)


@pytest.mark.parametrize("path", ["persons/abc", "deals/1.5", "persons/-1", "organizations/1"])
def test_a_non_numeric_id_or_unknown_path_is_pipedrives_404(client, path):
    assert_pipedrive_error(get(client, path), 404, "Not found")


def test_the_token_may_come_in_the_api_token_query_parameter(client):
    response = client.get(f"{ROOT}/persons/1", {"api_token": SANDBOX_TOKEN})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"HTTP_X_API_TOKEN": ""},
        {"HTTP_X_API_TOKEN": "wrong-token"},
        {"HTTP_AUTHORIZATION": f"Bearer {SANDBOX_TOKEN}"},
    ],
)
def test_a_missing_or_wrong_token_is_a_401(client, extra):
    response = client.get(f"{ROOT}/persons/1", **extra)
    assert_pipedrive_error(response, 401, "unauthorized access")
    assert "data" not in response.json() or response.json()["data"] is None


@override_settings(PIPEDRIVE_API_TOKEN=CONFIGURED_TOKEN)
def test_a_configured_token_replaces_the_sandbox_default(client):
    assert get(client, "persons/1", HTTP_X_API_TOKEN=CONFIGURED_TOKEN).status_code == 200
    assert_pipedrive_error(get(client, "persons/1"), 401, "unauthorized access")


def test_a_write_method_is_refused(client):
    response = client.delete(f"{ROOT}/persons/1", **AUTH)
    assert_pipedrive_error(response, 405, "Method not allowed")
    assert response["Allow"] == "GET"


@override_settings(SANDBOX_PIPEDRIVE_SLOW_SECONDS=0.2)
def test_the_slow_fault_waits_before_answering(client):
    started = time.monotonic()
    response = get(client, "persons/1", QUERY_STRING="__fault=slow")
    assert time.monotonic() - started >= 0.2
    assert response.status_code == 200


def test_the_down_fault_is_a_503_in_pipedrives_shape(client):
    response = get(client, "deals/1", QUERY_STRING="__fault=down")
    assert_pipedrive_error(response, 503, "Requested service is not available")


def test_an_unknown_fault_is_a_400_so_a_typo_tests_something(client):
    response = get(client, "persons/1", QUERY_STRING="__fault=slwo")
    assert response.status_code == 400
    assert "slow or down" in response.json()["error"]


@override_settings(PIPEDRIVE_API_TOKEN=CONFIGURED_TOKEN)
@pytest.mark.parametrize(
    "path,query",
    [
        ("persons/1", ""),
        ("persons/3", ""),
        ("deals/1", ""),
        ("deals/2", ""),
        ("persons/9", ""),
        ("persons/abc", ""),
        ("persons/1", "__fault=down"),
        ("persons/1", "__fault=nope"),
    ],
)
@pytest.mark.parametrize("how", ["header", "query", "wrong"])
def test_no_answer_contains_the_token(client, path, query, how):
    if how == "header":
        response = client.get(
            f"{ROOT}/{path}", QUERY_STRING=query, HTTP_X_API_TOKEN=CONFIGURED_TOKEN
        )
    elif how == "query":
        response = client.get(f"{ROOT}/{path}?{query}&api_token={CONFIGURED_TOKEN}")
    else:
        response = client.get(
            f"{ROOT}/{path}", QUERY_STRING=query, HTTP_X_API_TOKEN=CONFIGURED_TOKEN + "-x"
        )
    raw = response.content + b"".join(
        f"{name}: {value}".encode() for name, value in response.items()
    )
    assert CONFIGURED_TOKEN.encode() not in raw
    assert SANDBOX_TOKEN.encode() not in raw


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


def test_without_sandbox_mode_the_fake_is_not_mounted(urls_without_sandbox):
    for path in (f"{ROOT}/persons/1", f"{ROOT}/deals/1", f"{ROOT}/anything"):
        try:
            view = resolve(path).func
        except Resolver404:
            continue
        assert not view.__module__.startswith("profileviewer.sandbox"), path
