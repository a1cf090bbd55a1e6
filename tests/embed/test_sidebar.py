"""The sidebar behind an entry, over the sandbox, with nothing but the embed token: the
customer, the choice among several, the look-up, the ticket on the timeline, the reply text,
and on every response no cookie and no secret."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone

from profileviewer.agents.csrf import CsrfViewMiddleware
from profileviewer.embed import devkeys, tokens
from profileviewer.embed.hosts import HostUser
from tests.embed.conftest import pipedrive_token, zendesk_token

JOE = "userId:qrc-117322"


@pytest.fixture
def sidebar(upstream: Any) -> Any:
    """A Zendesk sidebar's browser: no cookie jar worth the name, the token in a header."""
    token = tokens.issue(HostUser("zendesk", "sandbox-demo/1", "1001"))
    browser = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HX_REQUEST="true")
    seen: list[Any] = []
    original = browser.request

    def request(**kwargs: Any) -> Any:
        response = original(**kwargs)
        seen.append(response)
        return response

    browser.request = request  # type: ignore[method-assign]
    browser.seen = seen  # type: ignore[attr-defined]
    return browser


def text(response: Any) -> str:
    return response.content.decode()


def test_one_customer_shows_name_match_and_the_panels_in_sidebar_order(sidebar: Any) -> None:
    page = text(sidebar.get("/embed/zendesk/sidebar", {"ref": "email:joe.bloggs@example.com"}))
    assert "Joe Bloggs" in page and "Matched by email" in page
    order = [page.index(f'id="panel-{p}"') for p in ("summary", "viewed-not-bought", "timeline")]
    assert order == sorted(order)
    # Traits, Metadata and Activity wait, collapsed, until the agent opens them.
    for panel in ("traits", "meta", "activity"):
        slot = page[page.index(f'id="panel-{panel}"') :]
        assert 'hx-trigger="pv:open once"' in slot[: slot.index("</section>")]
    assert "Insert into reply" in page
    assert 'target="_blank"' in page  # the full profile opens beside the host


def test_several_profiles_sharing_the_email_are_listed_to_choose(sidebar: Any) -> None:
    page = text(sidebar.get("/embed/zendesk/sidebar", {"ref": "email:sam.taylor@example.com"}))
    assert "2 customers share this email" in page
    assert page.count("data-choose-ref=") == 2


def test_nobody_matching_says_so_and_offers_the_look_up(sidebar: Any) -> None:
    page = text(sidebar.get("/embed/zendesk/sidebar", {"ref": "email:nobody@example.com"}))
    assert "No customer found" in page and 'name="q"' in page
    found = text(sidebar.get("/embed/zendesk/sidebar", {"q": "qrc-117322"}))
    assert "Joe Bloggs" in found


def test_a_bad_reference_is_a_message_not_an_error(sidebar: Any) -> None:
    response = sidebar.get("/embed/zendesk/sidebar", {"ref": "shoe:size"})
    assert response.status_code == 200
    assert "userId:…, email:… or id:…" in text(response)


def test_the_ticket_shows_on_the_timeline_where_it_falls(sidebar: Any) -> None:
    # Joe's last email was opened a minute ago, his order placed a day ago.
    opened = timezone.now() - timedelta(hours=2)
    page = text(sidebar.get("/profile/timeline", {"ref": JOE, "ticket_at": opened.isoformat()}))
    rows = page[page.index('class="days"') :]
    marker = rows.index("Ticket opened")
    assert rows.index("Email opened") < marker < rows.index("Order completed")
    assert "ticket_at=" in page  # carried to the next page's request


def test_the_sidebar_hands_the_ticket_time_to_its_timeline(sidebar: Any) -> None:
    opened = (timezone.now() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    page = text(sidebar.get("/embed/zendesk/sidebar", {"ref": JOE, "ticket_at": opened}))
    slot = re.search(r'hx-get="(/profile/timeline\?[^"]+)"', page)
    assert slot, "no timeline slot"
    timeline = text(sidebar.get(html.unescape(slot.group(1))))
    assert "Ticket opened" in timeline


def test_times_follow_the_agents_zone_header(sidebar: Any) -> None:
    opened = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
    page = text(
        sidebar.get(
            "/profile/timeline",
            {"ref": JOE, "ticket_at": opened.isoformat()},
            HTTP_X_TIME_ZONE="Asia/Tokyo",
        )
    )
    marker = page[page.index("Ticket opened") :]
    assert ">21:00</time>" in marker[:400]


def test_the_reply_text_is_a_short_plain_summary(sidebar: Any) -> None:
    response = sidebar.get("/embed/zendesk/reply-text", {"ref": JOE})
    assert response["Content-Type"].startswith("text/plain")
    # Customer data for one bearer: never kept by a browser or a proxy, nor shared.
    assert "no-store" in response["Cache-Control"] and "Authorization" in response["Vary"]
    body = text(response)
    assert body.startswith("Customer: Joe Bloggs <joe.bloggs@example.com>")
    assert "Churn risk:" in body and "<" not in body.split("\n", 1)[1]


def test_no_response_on_the_embed_path_sets_a_cookie_or_shows_a_secret(
    sidebar: Any, pipedrive_api: str
) -> None:
    anonymous = Client()
    entries = [
        anonymous.post(
            "/embed/zendesk/?origin=https://sandbox-demo.zendesk.com&app_guid=a",
            {"token": zendesk_token()},
        ),
        anonymous.get(
            "/embed/pipedrive/?id=f&userId=2001&companyId=1&selectedIds=1&resource=person"
            f"&view=sidebar&token={pipedrive_token()}"
        ),
    ]
    assert [r.status_code for r in entries] == [200, 200]
    sidebar.get("/embed/zendesk/sidebar", {"ref": "email:joe.bloggs@example.com"})
    sidebar.get("/embed/zendesk/sidebar", {"ref": "email:sam.taylor@example.com"})
    for panel in ("traits", "meta", "summary", "activity", "viewed-not-bought", "timeline"):
        sidebar.get(f"/profile/{panel}", {"ref": JOE})
    sidebar.get("/profile/timeline", {"ref": JOE, "since": timezone.now().isoformat()})
    sidebar.get("/embed/zendesk/reply-text", {"ref": JOE})
    sidebar.get("/embed/zendesk/token")
    keys = devkeys.dev_keys()
    secrets = [
        settings.INTILERY_API_TOKEN,
        settings.SECRET_KEY,
        "sandbox-pipedrive-token",
        keys.pipedrive_secret,
        keys.zendesk_private_key.splitlines()[1],
    ]
    responses = [*sidebar.seen, *entries]
    assert len(sidebar.seen) == 11
    for response in responses:
        assert not response.cookies, response.wsgi_request.path
        assert "Set-Cookie" not in response.headers
        dump = text(response) + str(response.headers)
        for secret in secrets:
            assert secret not in dump, response.wsgi_request.path


def test_csrf_is_skipped_for_a_valid_embed_token_and_only_for_it(rf: Any) -> None:
    def view(request: Any) -> HttpResponse:
        return HttpResponse("done")

    def post(authorization: str) -> int:
        request = rf.post("/somewhere", HTTP_AUTHORIZATION=authorization)
        middleware = CsrfViewMiddleware(view)
        refused = middleware.process_view(request, view, (), {})
        return refused.status_code if refused is not None else 200

    token = tokens.issue(HostUser("zendesk", "a", "b"))
    assert post(f"Bearer {token}") == 200
    assert post(f"Bearer {token[:-3]}abc") == 403  # forged: checked like any other request
    assert post("") == 403


def test_the_choice_among_several_is_kept_for_that_record_and_that_agent_only(
    sidebar: Any,
) -> None:
    sam = {"ref": "email:sam.taylor@example.com", "record": "ticket:7"}
    assert "2 customers share this email" in text(sidebar.get("/embed/zendesk/sidebar", sam))
    chosen = {"ref": "userId:sam-taylor-uk", "record": "ticket:7", "chosen": "1"}
    sidebar.get("/embed/zendesk/sidebar", chosen)
    again = text(sidebar.get("/embed/zendesk/sidebar", sam))
    assert 'data-ref="userId:sam-taylor-uk"' in again
    # Another ticket, or another agent on the same ticket, chooses afresh.
    other_ticket = {**sam, "record": "ticket:8"}
    assert "2 customers share" in text(sidebar.get("/embed/zendesk/sidebar", other_ticket))
    colleague = tokens.issue(HostUser("zendesk", "sandbox-demo/1", "1002"))
    response = Client().get("/embed/zendesk/sidebar", sam, HTTP_AUTHORIZATION=f"Bearer {colleague}")
    assert "2 customers share" in text(response)
