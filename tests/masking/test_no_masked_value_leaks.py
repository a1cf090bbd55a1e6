"""A masked value appears in no response for the role it is masked from: every panel (as a
fragment and as a page), the profile page, the raw event, the live poll, the embedded sidebar
and its reply text, every API endpoint and the export file; while the role allowed to see it
does see it there.

The customer is the demo's Joe Bloggs (sandbox seeding): phone `+44111222333444`, custom
trait `dateOfBirth` (restricted by default), plus one event that carries both in its
properties and, in its context only, a marker that only raw event JSON shows.
"""

from __future__ import annotations

import html
import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils import timezone

from profileviewer.api.keys import create_service_key
from profileviewer.client.client import reset_client_state
from profileviewer.embed import tokens
from profileviewer.embed.hosts import HostUser
from profileviewer.sandbox.demo import seed
from profileviewer.sandbox.models import Profile
from profileviewer.sandbox.store import NewEvent, add_events
from tests.masking.roles import give_role, make_roles

JOE = "userId:qrc-117322"
PHONE = "+44111222333444"
BIRTH = "1984-03-14"
RAW_ONLY = "203.0.113.77"  # the event's context ip: shown by raw event JSON alone
FORM_EVENT = uuid.UUID("0b5c7f3e-8d1a-4c2b-9e6f-5a4d3c2b1a09")
PANELS = ("traits", "meta", "summary", "timeline", "activity", "viewed-not-bought")
HTMX = {"HTTP_HX_REQUEST": "true"}


def spellings(value: str) -> set[str]:
    """The value as bytes in HTML, JSON, a URL or a CSV may spell it."""
    return {value, html.escape(value), json.dumps(value)[1:-1], quote(value), quote_plus(value)}


def phone_fragments() -> set[str]:
    """The phone in all its spellings, and any 8 of its digits in a row (its last 4 may show)."""
    digits = "".join(char for char in PHONE if char.isdigit())
    return spellings(PHONE) | {digits[i : i + 8] for i in range(len(digits) - 7)}


SECRETS = {"phone": phone_fragments(), "birth": spellings(BIRTH), "raw": spellings(RAW_ONLY)}
# What each role may not see: support sees a phone's last 4 digits only; sales sees no
# restricted trait and no raw event; no role, none of it.
HIDDEN = {"support": {"phone"}, "sales": {"birth", "raw"}, None: {"phone", "birth", "raw"}}


def leaks(body: bytes, hidden: set[str]) -> list[str]:
    text = body.decode("utf-8", errors="replace")
    return sorted(f"{what}: {s!r}" for what in hidden for s in SECRETS[what] if s in text)


def shows(body: bytes, what: str) -> bool:
    return leaks(body, {what}) != []


@pytest.fixture
def joe(live_server, transactional_db) -> Iterator[Profile]:
    reset_client_state()
    seed(0, 42, large_profiles=0)
    make_roles()
    profile = Profile.objects.get(external_id="qrc-117322")
    properties = {"form": "callback", "phone": PHONE, "dateOfBirth": BIRTH}
    at = timezone.now() - timedelta(minutes=1)
    add_events(
        profile, [NewEvent("form_submitted", at, properties, ip=RAW_ONLY, event_id=FORM_EVENT)]
    )
    with override_settings(
        INTILERY_API_URL=live_server.url + "/sandbox",
        SANDBOX_RATE_LIMIT_ENABLED=False,
        AGENT_RATE=1000,
        AGENT_BURST=1000,
        AGENT_FRESH_BURST=1000,
    ):
        yield profile
    reset_client_state()


@dataclass
class Agent:
    role: str | None
    browser: Client
    host: str = ""


def session_agent(role: str | None) -> Agent:
    user = User.objects.create_user(f"agent-{role}", password="agent-password-1")
    if role:
        give_role(user, role)
    browser = Client()
    browser.force_login(user)
    return Agent(role, browser)


def embed_agent(host: str, role: str) -> Agent:
    token = tokens.issue(HostUser(host, "sandbox-demo/1", "1001"))  # type: ignore[arg-type]
    return Agent(role, Client(HTTP_AUTHORIZATION=f"Bearer {token}"), host)


def viewer_responses(agent: Agent) -> dict[str, bytes]:
    """Every page and fragment of Joe's profile the agent can ask for."""
    get = agent.browser.get
    ref = {"ref": JOE}
    since = (timezone.now() - timedelta(minutes=5)).isoformat()
    event = {**ref, "event_id": str(FORM_EVENT)}
    bodies = {
        "profile page": get("/profile", ref).content,
        "header": get("/profile/header", ref, **HTMX).content,
        "live poll": get("/profile/timeline", {**ref, "since": since}, **HTMX).content,
        "raw event": get("/profile/event", event, **HTMX).content,
        "raw event page": get("/profile/event", event).content,
    }
    for panel in PANELS:
        bodies[panel] = get(f"/profile/{panel}", ref, **HTMX).content
        bodies[f"{panel} page"] = get(f"/profile/{panel}", ref).content
    if agent.host:
        bodies["sidebar"] = get(f"/embed/{agent.host}/sidebar", ref, **HTMX).content
    if agent.host == "zendesk":
        bodies["reply text"] = get("/embed/zendesk/reply-text", ref).content
    return bodies


AGENTS = [
    pytest.param(lambda: session_agent("support"), id="support"),
    pytest.param(lambda: session_agent("sales"), id="sales"),
    pytest.param(lambda: session_agent(None), id="no role"),
    pytest.param(lambda: embed_agent("zendesk", "support"), id="zendesk (support)"),
    pytest.param(lambda: embed_agent("pipedrive", "sales"), id="pipedrive (sales)"),
]


@pytest.mark.parametrize("make_agent", AGENTS)
def test_no_viewer_response_shows_what_the_agents_role_may_not_see(joe, make_agent):
    agent = make_agent()
    bodies = viewer_responses(agent)
    found = {name: leaks(body, HIDDEN[agent.role]) for name, body in bodies.items()}
    assert {name: found for name, found in found.items() if found} == {}
    # What the role may see, it sees.
    visible = {"phone", "birth", "raw"} - HIDDEN[agent.role]
    assert {what for what in visible if shows(bodies["raw event"], what)} == visible - {"phone"}
    assert all(shows(bodies["traits"], what) for what in visible - {"raw"})


def test_an_agent_in_both_roles_sees_everything(joe):
    user = give_role(give_role(User.objects.create_user("both"), "support"), "sales")
    browser = Client()
    browser.force_login(user)
    traits = browser.get("/profile/traits", {"ref": JOE}, **HTMX).content
    raw = browser.get("/profile/event", {"ref": JOE, "event_id": str(FORM_EVENT)}, **HTMX)
    assert shows(traits, "phone") and shows(traits, "birth")
    assert shows(raw.content, "raw") and shows(raw.content, "phone")


def test_a_role_without_raw_events_is_told_so_and_given_no_link(joe):
    agent = session_agent("sales")
    timeline = agent.browser.get("/profile/timeline", {"ref": JOE}, **HTMX).content.decode()
    assert 'class="raw"' not in timeline
    assert "Raw events are not shown to your role." in timeline
    raw = agent.browser.get("/profile/event", {"ref": JOE, "event_id": str(FORM_EVENT)})
    assert raw.status_code == 403
    assert "Not shown to your role" in raw.content.decode()


def test_a_support_agent_sees_the_phones_last_4_digits_and_no_dial_link(joe):
    traits = session_agent("support").browser.get("/profile/traits", {"ref": JOE}, **HTMX)
    page = traits.content.decode()
    assert "••• 3444" in page
    assert "tel:" not in page


API_PATHS = (
    f"/api/v1/profiles/{JOE}",
    f"/api/v1/profiles/{JOE}/summary",
    f"/api/v1/profiles/{JOE}/recommendations/viewed-not-purchased",
)


@pytest.mark.parametrize("role", ["support", "sales", None])
def test_no_api_answer_shows_what_the_keys_role_may_not_see(joe, role):
    group = Group.objects.get(name=role) if role else None
    _, token = create_service_key(f"key-{role}", role=group, rate_limit=1000, rate_burst=1000)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    bodies = {path: api.get(path).content for path in API_PATHS}
    assert all(b'"error"' not in body for body in bodies.values())
    assert {path: leaks(body, HIDDEN[role]) for path, body in bodies.items()} == {
        path: [] for path in API_PATHS
    }
    profile = bodies[API_PATHS[0]]
    assert shows(profile, "phone") == ("phone" not in HIDDEN[role])
    assert shows(profile, "birth") == ("birth" not in HIDDEN[role])


def export(tmp_path: Path, fmt: str, *args: str) -> bytes:
    out = tmp_path / f"export.{fmt}"
    call_command("export_profiles", "--out", str(out), "--format", fmt, *args, stdout=io.StringIO())
    return out.read_bytes()


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize("role", ["support", "sales", None])
def test_no_export_holds_what_its_role_may_not_see(joe, tmp_path, role, fmt):
    args = ("--role", role) if role else ()
    events = ("--with-events",) if role == "support" else ()
    body = export(tmp_path, fmt, *args, *events)
    assert b"Bloggs" in body
    assert leaks(body, HIDDEN[role]) == []
    visible = {"phone", "birth", "raw"} - HIDDEN[role] - (set() if events else {"raw"})
    assert {what for what in visible if shows(body, what)} == visible


@pytest.mark.parametrize("role", ["sales", None])
def test_an_export_with_events_needs_a_role_that_sees_raw_events(joe, tmp_path, role):
    args = ("--role", role) if role else ()
    with pytest.raises(CommandError, match="may not see raw events") as caught:
        export(tmp_path, "jsonl", *args, "--with-events")
    assert caught.value.returncode == 2
    assert not (tmp_path / "export.jsonl").exists()


def test_an_export_for_a_role_that_does_not_exist_exits_2(joe, tmp_path):
    with pytest.raises(CommandError, match="no group named") as caught:
        export(tmp_path, "jsonl", "--role", "nobody")
    assert caught.value.returncode == 2
