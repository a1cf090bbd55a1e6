"""The look-up box: one match goes to the profile, several are listed, none says so."""

from __future__ import annotations

import pytest
from django.test import Client

from profileviewer import parallel
from profileviewer.client import RateLimitError, UnavailableError
from tests.viewer.conftest import HTMX


def header_of(agent: Client, profile_url: str) -> str:
    """The header the profile page at ``profile_url`` loads beside its panels (htmx)."""
    query = profile_url.split("?", 1)[1]
    return agent.get(f"/profile/header?{query}", **HTMX).content.decode()


def test_an_external_id_goes_straight_to_the_profile(agent: Client, upstream) -> None:
    response = agent.get("/lookup", {"q": "qrc-117322"})
    assert response.status_code == 302
    assert response["Location"] == "/profile?ref=userId%3Aqrc-117322"


def test_an_email_with_one_profile_goes_to_it_matched_by_email(agent: Client, upstream) -> None:
    response = agent.get("/lookup", {"q": "  joe.bloggs@example.com "}, follow=True)
    assert response.redirect_chain[0][0] == "/profile?ref=email%3Ajoe.bloggs%40example.com"
    assert response.status_code == 200
    html = header_of(agent, response.redirect_chain[0][0])
    assert '<h1 id="profile-name">Joe Bloggs</h1>' in html
    assert "Matched by email" in html


def test_an_intilery_id_goes_to_the_profile(agent: Client, upstream) -> None:
    joe_id = upstream["joe"].id
    response = agent.get("/lookup", {"q": str(joe_id)})
    assert response["Location"] == f"/profile?ref=id%3A{joe_id}"


def test_an_email_shared_by_two_profiles_lists_both_with_their_ids_and_activity(
    agent: Client, upstream
) -> None:
    response = agent.get("/lookup", {"q": "sam.taylor@example.com"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 customers match" in html
    assert "sam-taylor-uk" in html and "sam-taylor-us" in html
    assert 'href="/profile?ref=userId%3Asam-taylor-uk"' in html
    assert "Last active <time" in html and "3 days ago" in html


def test_a_profile_without_external_id_is_linked_by_its_intilery_id(
    agent: Client, upstream
) -> None:
    guest_id = upstream["guest"].id
    response = agent.get("/lookup", {"q": "guest.shopper@example.com"})
    assert response["Location"] == "/profile?ref=email%3Aguest.shopper%40example.com"
    assert agent.get(response["Location"]).status_code == 200
    assert f'data-copy="{guest_id}"' in header_of(agent, response["Location"])


def test_no_match_says_no_customer_found_with_what_was_searched(agent: Client, upstream) -> None:
    response = agent.get("/lookup", {"q": "nobody@example.com"})
    assert response.status_code == 404
    html = response.content.decode()
    assert "No customer found" in html
    assert "nobody@example.com" in html


def test_an_id_with_a_slash_is_found(agent: Client, upstream) -> None:
    response = agent.get("/lookup", {"q": "acct/00042"})
    assert response["Location"] == "/profile?ref=userId%3Aacct%2F00042"
    assert agent.get(response["Location"]).status_code == 200
    assert '<h1 id="profile-name">Priya</h1>' in header_of(agent, response["Location"])


BAD_INPUT = [
    "",
    "   ",
    "x" * 10_240,
    "Zoë 🙂 Ünïcödé",
    "100%25%%",
    "%00%2F",
    "a/b/../../c",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "id:not-a-uuid",
    "email:no-at-sign",
    "line\nbreak",
]


@pytest.mark.parametrize("query", BAD_INPUT)
def test_bad_input_gets_a_clear_answer_and_is_never_reflected_unescaped(
    agent: Client, upstream, query: str
) -> None:
    response = agent.get("/lookup", {"q": query}, follow=True)
    assert response.status_code in (200, 400, 404)
    html = response.content.decode()
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "Traceback" not in html
    assert ("No customer found" in html) or ("Check the search" in html)


def test_an_empty_search_asks_for_an_id(agent: Client, db: None) -> None:
    response = agent.get("/lookup", {"q": ""})
    assert response.status_code == 400
    assert "Enter an email, an external id or an Intilery id." in response.content.decode()


def test_a_busy_upstream_during_look_up_says_so_with_the_request_id(agent, stub_client) -> None:
    stub_client(RateLimitError("slow down", request_id="req-77", retry_after=2.2))
    response = agent.get("/lookup", {"q": "joe.bloggs@example.com"})
    html = response.content.decode()
    assert response.status_code == 429
    assert "busy, retrying in 3 s" in html
    assert "req-77" in html


def test_an_upstream_outage_during_look_up_keeps_the_search_box(agent, stub_client) -> None:
    stub_client(UnavailableError("down", request_id="req-5"))
    response = agent.get("/lookup", {"q": "qrc-117322"})
    assert response.status_code == 503
    html = response.content.decode()
    assert 'value="qrc-117322"' in html
    assert "unavailable" in html.lower()


def test_a_look_up_reads_only_the_matches(agent, upstream) -> None:
    # One match or several, the look-up itself reads the customer's `meta` and nothing else.
    from profileviewer.client import get_client

    for query, status in (("sam.taylor@example.com", 200), ("qrc-117322", 302)):
        calls = get_client().stats()["calls"]
        assert agent.get("/lookup", {"q": query}).status_code == status
        assert parallel.wait_idle()
        assert get_client().stats()["calls"] == calls + 1
