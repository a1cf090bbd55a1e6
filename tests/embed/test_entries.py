"""The two entries and the sidebar behind them, over the sandbox: a host's signed token in,
our embed token out, the customer shown; framing only by the host; no cookie anywhere."""

from __future__ import annotations

import re
import socket
import time
from typing import Any

import pytest
from django.test import Client

from profileviewer.embed import pipedrive, tokens
from tests.embed.conftest import pipedrive_token, tampered, zendesk_token

pytestmark = pytest.mark.django_db(transaction=True)
ENTRY = "/embed/zendesk/?origin=https://sandbox-demo.zendesk.com&app_guid=abc-123"


def embed_token(response: Any) -> str:
    match = re.search(r'"Authorization": "Bearer ([A-Za-z0-9_.-]+)"', response.content.decode())
    assert match, "the page carries no embed token"
    return match.group(1)


def pipedrive_entry(token: str, /, **params: Any) -> str:
    query = {
        "id": "frame-1",
        "userId": "2001",
        "companyId": "1",
        "selectedIds": "1",
        "resource": "person",
        "view": "sidebar",
        "token": token,
        **params,
    }
    return "/embed/pipedrive/?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_zendesk_entry_issues_an_embed_token_and_lets_only_zendesk_frame_it() -> None:
    response = Client().post(ENTRY, {"token": zendesk_token()})
    assert response.status_code == 200
    agent = tokens.read(embed_token(response), host="zendesk")
    assert (agent.account, agent.user.endswith("/users/1001.json")) == ("sandbox-demo/1", True)
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors https://sandbox-demo.zendesk.com" in csp
    assert "X-Frame-Options" not in response.headers
    assert "vendor/zaf_sdk.min.js" in response.content.decode()
    # The page holds the agent's embed token: no browser or proxy may keep it.
    assert response["Cache-Control"] == "private, no-store"


def test_zendesk_entry_refuses_a_forged_token_inside_the_frame() -> None:
    response = Client().post(ENTRY, {"token": tampered(zendesk_token(), sub="1")})
    assert response.status_code == 401
    assert "could not be verified" in response.content.decode()
    assert "Bearer" not in response.content.decode()
    assert "frame-ancestors https://sandbox-demo.zendesk.com" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "https://sandbox-demo.zendesk.com.evil.example", "", "x"]
)
def test_zendesk_entry_refuses_an_origin_that_is_not_the_hosts(origin: str) -> None:
    response = Client().post(
        f"/embed/zendesk/?origin={origin}&app_guid=a", {"token": zendesk_token()}
    )
    assert response.status_code == 400
    assert "Bearer" not in response.content.decode()


def test_zendesk_entry_opened_without_zendesk_says_where_to_open_it() -> None:
    response = Client().get(ENTRY)
    assert response.status_code == 401
    assert "Open Profile Viewer from a Zendesk ticket" in response.content.decode()


def test_an_unconfigured_host_is_off(settings: Any) -> None:
    settings.SANDBOX = settings.EMBED_DEV_HOSTS = False
    assert Client().post(ENTRY, {"token": zendesk_token()}).status_code == 404
    assert Client().get(pipedrive_entry(pipedrive_token())).status_code == 404


def test_the_zendesk_cdn_sdk_is_a_setting_and_the_csp_follows_it(settings: Any) -> None:
    settings.ZENDESK_SDK_URL = (
        "https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js"
    )
    response = Client().post(ENTRY, {"token": zendesk_token()})
    assert settings.ZENDESK_SDK_URL in response.content.decode()
    assert settings.ZENDESK_SDK_URL in response["Content-Security-Policy"]


def test_every_other_page_refuses_framing_by_others(alice: Any) -> None:
    browser = Client()
    browser.force_login(alice)
    response = browser.get("/")
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_pipedrive_entry_finds_the_persons_customer(pipedrive_api: str, upstream: Any) -> None:
    response = Client().get(pipedrive_entry(pipedrive_token()))
    assert response.status_code == 200
    page = response.content.decode()
    assert tokens.read(embed_token(response), host="pipedrive").user == "2001"
    # The primary email, though Pipedrive lists an older one first.
    assert "ref=email%3Ajoe.bloggs%40example.com" in page
    assert response["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors https://*.pipedrive.com" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-store"


def test_pipedrive_entry_reads_the_customer_before_the_page_asks(
    pipedrive_api: str, upstream: Any, upstream_requests: list[str]
) -> None:
    Client().get(pipedrive_entry(pipedrive_token()))
    # In the background: wait for the reads to reach the sandbox (not for the pool to be
    # idle, which would hold its threads and starve the look-up's own follow-up reads).
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any("/events" in r for r in upstream_requests):
        time.sleep(0.01)
    assert any(r.split("?")[0].endswith("joe.bloggs@example.com/meta") for r in upstream_requests)
    assert any("/events" in r for r in upstream_requests)  # the first panels' reads


def test_pipedrive_entry_finds_a_deals_person(pipedrive_api: str, upstream: Any) -> None:
    response = Client().get(pipedrive_entry(pipedrive_token(), resource="deal"))
    assert "ref=email%3Ajoe.bloggs%40example.com" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"selectedIds": "3"}, "has no email address"),
        ({"selectedIds": "999"}, "no such record"),
        ({"selectedIds": "2", "resource": "deal"}, "no contact person"),
    ],
    ids=["no-email", "no-such-person", "deal-without-person"],
)
def test_pipedrive_records_with_no_customer_say_so_and_offer_the_look_up(
    pipedrive_api: str, upstream: Any, params: dict[str, str], says: str
) -> None:
    response = Client().get(pipedrive_entry(pipedrive_token(), **params))
    assert response.status_code == 200
    page = response.content.decode()
    assert says in page
    assert 'name="q"' in page  # the look-up box


def test_pipedrive_down_or_slow_is_said_in_the_panel(settings: Any) -> None:
    settings.PIPEDRIVE_API_URL = "http://127.0.0.1:9/nothing-listens-here"
    response = Client().get(pipedrive_entry(pipedrive_token()))
    assert "Pipedrive could not be reached" in response.content.decode()
    # A server that accepts the connection and never answers.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings.PIPEDRIVE_API_URL = f"http://127.0.0.1:{silent.getsockname()[1]}"
        settings.PIPEDRIVE_API_TIMEOUT = 0.3
        started = time.monotonic()
        response = Client().get(pipedrive_entry(pipedrive_token()))
    assert "did not answer in time" in response.content.decode()
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("address", ["not-an-email", "a\x07@b.example", "x" * 3000 + "@b.example"])
def test_an_email_pipedrive_holds_that_we_cannot_look_up_is_said_not_a_500(
    address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = {"name": "Typo Person", "email": [{"value": address, "primary": True}]}
    monkeypatch.setattr(pipedrive, "_get", lambda path: person)
    response = Client().get(pipedrive_entry(pipedrive_token()))
    assert response.status_code == 200
    assert "not one we can look up" in response.content.decode()
    assert 'name="q"' in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        {"userId": "2002"},
        {"companyId": "9"},
        {"token": ""},
        {"resource": "organization"},
        {"selectedIds": "abc"},
    ],
    ids=["user-mismatch", "company-mismatch", "no-token", "bad-resource", "bad-id"],
)
def test_pipedrive_entry_refuses_bad_input_with_a_4xx(params: dict[str, str]) -> None:
    response = Client().get(pipedrive_entry(pipedrive_token(), **params))
    assert 400 <= response.status_code < 500
    assert "Bearer" not in response.content.decode()
