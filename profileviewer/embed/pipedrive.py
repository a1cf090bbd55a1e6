"""Who a Pipedrive person or deal is, from Pipedrive's API: the customer's email addresses.

`GET /v1/persons/{id}` gives a person's emails; a deal (`GET /v1/deals/{id}`) names its person.
The API token goes in the `x-api-token` header, never in a URL that could be logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import requests
from django.conf import settings

from profileviewer.client import ProfileRef, ProfileRefError

Resource = Literal["person", "deal"]


class PipedriveError(Exception):
    """A Pipedrive answer we cannot use; the message is safe to show to the agent."""


class NoPerson(PipedriveError):
    """The person or deal does not exist, or the deal has no person."""


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    emails: tuple[str, ...]  # the primary first; only addresses we can look up
    unusable_emails: int = 0  # addresses Pipedrive holds that are not emails (a typo, a note)


_session = requests.Session()


def _get(path: str) -> dict[str, Any]:
    if not settings.PIPEDRIVE_API_TOKEN and not settings.SANDBOX:
        raise PipedriveError("Pipedrive is not connected: PIPEDRIVE_API_TOKEN is not set.")
    token = settings.PIPEDRIVE_API_TOKEN or "sandbox-pipedrive-token"
    url = settings.PIPEDRIVE_API_URL.rstrip("/") + path
    try:
        response = _session.get(
            url,
            headers={"x-api-token": token, "Accept": "application/json"},
            timeout=settings.PIPEDRIVE_API_TIMEOUT,
            allow_redirects=False,
        )
    except requests.Timeout:
        raise PipedriveError("Pipedrive did not answer in time: try again shortly.") from None
    except requests.RequestException:
        raise PipedriveError("Pipedrive could not be reached: try again shortly.") from None
    if response.status_code == 404:
        raise NoPerson("Pipedrive has no such record.")
    if response.status_code in (401, 403):
        raise PipedriveError("Pipedrive refused our API token: ask an admin to check it.")
    if response.status_code != 200:
        raise PipedriveError(f"Pipedrive answered {response.status_code}: try again shortly.")
    try:
        body = response.json()
    except ValueError:
        raise PipedriveError("Pipedrive sent an answer we could not read.") from None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise NoPerson("Pipedrive has no such record.")
    return data


def _emails(value: Any) -> tuple[list[str], int]:
    """The addresses a reference can hold (primary first), and how many others there were."""
    entries = [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []
    entries.sort(key=lambda e: not e.get("primary"))  # stable: the primary first
    texts = [str(e.get("value") or "").strip() for e in entries]
    given = list(dict.fromkeys(t for t in texts if t))
    usable = []
    for text in given:
        try:
            ProfileRef("email", text)
        except ProfileRefError:
            continue
        if "@" in text:
            usable.append(text)
    return usable, len(given) - len(usable)


def person(person_id: int) -> Person:
    data = _get(f"/v1/persons/{person_id}")
    emails, unusable = _emails(data.get("email"))
    name = str(data.get("name") or "")[:200]
    return Person(id=person_id, name=name, emails=tuple(emails), unusable_emails=unusable)


def deal_person(deal_id: int) -> Person:
    data = _get(f"/v1/deals/{deal_id}")
    owner = data.get("person_id")
    person_id = owner.get("value") if isinstance(owner, dict) else owner
    if not isinstance(person_id, int) or isinstance(person_id, bool):
        raise NoPerson("This deal has no contact person in Pipedrive.")
    return person(person_id)


def customer(resource: Resource, record_id: int) -> Person:
    return person(record_id) if resource == "person" else deal_person(record_id)
