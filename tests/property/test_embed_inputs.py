"""The embed's entries and its sidebar, under anything a host (or someone posing as one) can
send: never a 5xx, and what they show of it escaped. Host tokens are signed here for whatever
ids the example holds, so a valid entry with hostile ids is reached too."""

from __future__ import annotations

import functools
import time
from typing import Any
from urllib.parse import quote

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from profileviewer.embed import devkeys, pipedrive, tokens
from profileviewer.embed.hosts import HostUser
from tests.embed.conftest import ZENDESK_CLAIMS, tampered
from tests.property.conftest import FAILING_MODES, UPSTREAM_MODES, Upstream, settle
from tests.property.strategies import (
    MARKERS,
    assert_clear_answer,
    assert_escaped,
    dates,
    encoded_values,
    fuzz_settings,
    mostly,
    numbers,
    query_strings,
    refs,
    text_values,
)

pytestmark = pytest.mark.django_db

ZENDESK_ORIGIN = f"https://{devkeys.ZENDESK_SUBDOMAIN}.zendesk.com"
# A host's user or company id: short as Pipedrive's are (the entry takes up to 40
# characters), and at times anything at all.
ids = mostly(
    st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40)
    | st.sampled_from(["2001", "1", "0", "-1", *MARKERS]),
    text_values,
)


def _check(response: Any, what: str, mode: str = "one") -> None:
    settle()
    assert_clear_answer(response, what, upstream_failing=mode in FAILING_MODES)
    assert_escaped(response, what)


# --- Zendesk's entry ----------------------------------------------------------------------


@functools.cache
def zendesk_private_key() -> Any:
    # Parsed once: parsing the PEM for each example took most of the example's time.
    return serialization.load_pem_private_key(
        devkeys.dev_keys().zendesk_private_key.encode(), password=None
    )


def zendesk_token(sub: object, **changes: object) -> str:
    now = int(time.time())
    claims = {**ZENDESK_CLAIMS, "iat": now, "exp": now + 300, "sub": sub, **changes}
    return jwt.encode(claims, zendesk_private_key(), "RS256")


zendesk_tokens = mostly(
    # Signed by "Zendesk" for any user id, markers and very long ones included.
    (ids | st.integers()).map(zendesk_token),
    st.one_of(
        st.just(None).map(lambda _: tampered(zendesk_token("1001"), sub="1")),
        st.builds(lambda iss: zendesk_token("1001", iss=iss), text_values),
        text_values,
    ),
)
origins = st.sampled_from([ZENDESK_ORIGIN, "http://localhost:8000", "http://127.0.0.1:1"])


@fuzz_settings(examples=300)
@given(
    origin=mostly(origins, text_values),
    query=query_strings(["origin", "app_guid"], {"app_guid": text_values}, max_pairs=3),
    token=zendesk_tokens,
    extra=st.lists(encoded_values.map(lambda v: f"token={v}"), max_size=2).map("&".join),
    method=st.sampled_from(["POST", "POST", "POST", "GET"]),
)
def test_the_zendesk_entry_answers_any_origin_and_token(
    upstream: Upstream, origin: str, query: str, token: str, extra: str, method: str
) -> None:
    # Django reads a repeated key's last value: the drawn origin and token last, so that a
    # valid one is what the entry reads; their repeats before them.
    query = "&".join(filter(None, [query, f"origin={quote(origin, safe='')}"]))
    body = "&".join(filter(None, [extra, f"token={quote(token, safe='')}"]))
    response = Client().generic(
        method, "/embed/zendesk/", body, "application/x-www-form-urlencoded", QUERY_STRING=query
    )
    _check(response, f"{method} /embed/zendesk/?{query} token={token[:200]!r}")


# --- Pipedrive's entry --------------------------------------------------------------------


def pipedrive_token(user_id: str, company_id: str) -> str:
    now = int(time.time())
    claims = {"userId": user_id, "companyId": company_id, "iat": now, "exp": now + 300}
    return jwt.encode(claims, devkeys.dev_keys().pipedrive_secret, "HS256")


# What Pipedrive's API could answer for a person or a deal (the entry trusts none of it).
emails = st.lists(
    st.fixed_dictionaries(
        {"value": text_values | st.sampled_from(MARKERS).map(lambda m: f'"{m}"@example.com')},
        optional={"primary": st.booleans() | st.none() | text_values},
    )
    | text_values
    | st.none(),
    max_size=3,
)
pipedrive_answers = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={"name": text_values | st.integers() | st.none(), "email": emails | text_values},
    ),
    st.fixed_dictionaries({"person_id": st.integers() | st.booleans() | st.none() | text_values}),
    st.fixed_dictionaries({"person_id": st.fixed_dictionaries({"value": st.integers(1, 10)})}),
    st.sampled_from(
        [
            pipedrive.NoPerson("Pipedrive has no such record."),
            pipedrive.PipedriveError("Pipedrive could not be reached: try again shortly."),
        ]
    ),
)


@fuzz_settings(examples=500)
@given(
    user_id=ids,
    company_id=ids | st.just(devkeys.PIPEDRIVE_COMPANY_ID),
    signed=st.sampled_from(["for these ids"] * 3 + ["for others", "not a token"]),
    query=query_strings(
        ["id", "selectedIds", "resource", "view", "userId", "companyId", "token"],
        {
            "id": text_values,
            "selectedIds": mostly(st.integers(1, 2**53).map(str), numbers),
            "resource": st.sampled_from(["person", "deal", "lead"]),
            "view": st.sampled_from(["sidebar", "custom_modal"]) | text_values,
        },
        always=("selectedIds", "resource"),
        max_pairs=5,
    ),
    answer=pipedrive_answers,
    mode=st.sampled_from(UPSTREAM_MODES),
)
def test_the_pipedrive_entry_answers_any_link_and_any_person(
    upstream: Upstream,
    monkeypatch: pytest.MonkeyPatch,
    user_id: str,
    company_id: str,
    signed: str,
    query: str,
    answer: Any,
    mode: str,
) -> None:
    upstream.answer(mode)

    def get(path: str) -> dict[str, Any]:
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(pipedrive, "_get", get)
    token = {
        "for these ids": pipedrive_token(user_id, company_id),
        "for others": pipedrive_token("2001", "1"),
        "not a token": user_id,
    }[signed]
    # Django reads a repeated key's last value: the drawn ids and token last, so that a
    # valid token is what the entry reads; their repeats in the query before them.
    given_ids = f"userId={quote(user_id, safe='')}&companyId={quote(company_id, safe='')}"
    full_query = "&".join(filter(None, [query, given_ids, f"token={quote(token, safe='')}"]))
    response = Client().get("/embed/pipedrive/", QUERY_STRING=full_query)
    _check(response, f"GET /embed/pipedrive/?{full_query} answer={answer!r}", mode)


# --- The sidebar --------------------------------------------------------------------------

SIDEBAR_KEYS = ["ref", "q", "ticket_at", "record", "chosen"]
SIDEBAR_VALUES: dict[str, st.SearchStrategy[str]] = {
    "ref": refs,
    "q": refs,
    "ticket_at": dates,
    "record": st.sampled_from(["ticket:1", "person:42"]) | text_values,
    "chosen": st.sampled_from(["1", "0"]),
}
HOST_USERS = {
    "zendesk": HostUser("zendesk", "sandbox-demo/1", "1001"),
    "pipedrive": HostUser("pipedrive", "1", "2001"),
}


@fuzz_settings(examples=600)
@given(
    host=st.sampled_from(["zendesk", "pipedrive"]),
    signed_for=st.sampled_from(["this host", "this host", "this host", "the other", "nobody"]),
    reply_text=st.sampled_from([False, False, False, True]),
    query=query_strings(SIDEBAR_KEYS, SIDEBAR_VALUES, max_pairs=6),
    mode=st.sampled_from(UPSTREAM_MODES),
    htmx=st.booleans(),
    zone=st.none() | st.sampled_from(["Asia/Tokyo", "Pacific/Kiritimati"]) | text_values,
)
def test_the_sidebar_and_reply_text_answer_any_reference_look_up_and_ticket(
    upstream: Upstream,
    host: str,
    signed_for: str,
    reply_text: bool,
    query: str,
    mode: str,
    htmx: bool,
    zone: str | None,
) -> None:
    upstream.answer(mode)
    other = "pipedrive" if host == "zendesk" else "zendesk"
    user = {"this host": HOST_USERS[host], "the other": HOST_USERS[other]}.get(signed_for)
    token = tokens.issue(user) if user else "not-a-token"
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if htmx:
        headers["HTTP_HX_REQUEST"] = "true"
    if zone is not None:
        headers["HTTP_X_TIME_ZONE"] = zone
    # Only Zendesk has a reply box to fill.
    url = "/embed/zendesk/reply-text" if reply_text else f"/embed/{host}/sidebar"
    response = Client().get(url, QUERY_STRING=query, **headers)
    what = f"GET {url}?{query} as {signed_for}"
    if response["Content-Type"].startswith("text/plain"):
        # The reply box's text, inserted as text by the host: not HTML, nothing to escape.
        settle()
        assert_clear_answer(response, what, upstream_failing=mode in FAILING_MODES)
    else:
        _check(response, what, mode)
