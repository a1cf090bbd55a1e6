"""Every viewer page and panel requires a signed-in, active agent (profileviewer/agents/auth.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.viewer.conftest import HTMX, JOE

VIEWER_URLS = [
    "/",
    "/lookup?q=joe.bloggs@example.com",
    f"/profile?ref={JOE}",
    *[
        f"/profile/{panel}?ref={JOE}"
        for panel in ("traits", "meta", "timeline", "activity", "viewed-not-bought", "summary")
    ],
]


@pytest.mark.parametrize("url", VIEWER_URLS)
def test_a_stranger_is_sent_to_the_login_page_and_back(client: Client, db: None, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", VIEWER_URLS[2:])
def test_an_htmx_panel_of_a_stranger_redirects_the_whole_page_not_the_panel(
    client: Client, db: None, url: str
) -> None:
    response = client.get(
        url,
        headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver/profile?ref={JOE}"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=%2Fprofile%3Fref%3DuserId%3Aqrc-117322"
    assert b"Sign in" not in response.content


@pytest.mark.parametrize(
    "headers",
    [
        {"HX-Current-URL": "http://["},
        {"HX-Current-URL": "http://[::1/profile"},
        {"HX-Current-URL": "http://%E2%84%80/x", "HX-Current-URL-URI-AutoEncoded": "true"},
    ],
)
def test_a_strangers_panel_with_an_unreadable_current_url_still_goes_to_the_login(
    client: Client, db: None, headers: dict[str, str]
) -> None:
    response = client.get(f"/profile/traits?ref={JOE}", headers={"HX-Request": "true", **headers})
    assert response.status_code == 200
    assert (
        response["HX-Redirect"]
        == "/accounts/login/?next=%2Fprofile%2Ftraits%3Fref%3DuserId%3Aqrc-117322"
    )


def test_a_deactivated_agent_is_not_let_in(bob: User) -> None:
    browser = Client()
    browser.force_login(bob)
    assert browser.get("/").status_code == 302


def test_an_agent_signs_in_with_their_password_and_lands_on_the_search(alice: User) -> None:
    browser = Client()
    response = browser.post(
        "/accounts/login/", {"username": "alice", "password": "alice-password-1"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert b"Find a customer" in response.content


def test_a_wrong_password_shows_a_message_and_no_detail_of_which_part_was_wrong(
    alice: User,
) -> None:
    response = Client().post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"do not match an active agent account" in response.content


def test_signing_out_needs_a_post_and_ends_the_session(agent: Client) -> None:
    assert agent.get("/accounts/logout/").status_code == 405
    agent.post("/accounts/logout/")
    assert agent.get("/").status_code == 302


def test_the_login_page_has_labelled_inputs(db: None) -> None:
    html = Client().get("/accounts/login/").content.decode()
    assert '<label for="id_username">' in html
    assert '<label for="id_password">' in html


def test_times_show_in_the_agents_time_zone_from_the_browser(agent: Client, upstream) -> None:
    agent.cookies["pv_tz"] = "Asia/Tokyo"
    html = agent.get(f"/profile/meta?ref={JOE}", **HTMX).content.decode()
    assert "JST" in html


def test_a_nonsense_time_zone_cookie_falls_back_to_utc(agent: Client, upstream) -> None:
    agent.cookies["pv_tz"] = "../../etc/passwd"
    response = agent.get(f"/profile/meta?ref={JOE}", **HTMX)
    assert response.status_code == 200
    assert "UTC" in response.content.decode()


def test_a_sign_in_with_an_expired_form_says_what_to_do(db: None) -> None:
    # A sign-in page left open while the session changed: our page, not Django's stock 403.
    User.objects.create_user("ann", password="pw-ann-123")
    browser = Client(enforce_csrf_checks=True)
    browser.get("/accounts/login/")
    browser.cookies["csrftoken"] = "x" * 32  # rotated since the form was rendered
    response = browser.post(
        "/accounts/login/",
        {"username": "ann", "password": "pw-ann-123", "csrfmiddlewaretoken": "y" * 32},
    )
    html = response.content.decode()
    assert response.status_code == 403
    assert "This form has expired" in html and "reload the page" in html
    assert "DEBUG" not in html and "CSRF" not in html
    assert "_auth_user_id" not in browser.session  # nothing was done
