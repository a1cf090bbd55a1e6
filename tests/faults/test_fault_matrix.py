"""The fault matrix (issue 21, item 6): each fault the sandbox can inject, against each panel,
the profile header and each API endpoint that reads upstream, through the real client and the
sandbox on a live server.

Each cell checks the agent sees the right message (the API caller the right JSON error), in
time, never a 500, that a fault in one upstream endpoint leaves the surfaces that do not
read it working, and that the request left an access record in the audit trail with its
outcome. The matrix is printed at the end of the run (conftest.py).
"""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import pytest
import requests
from django.conf import settings
from django.test import override_settings

from profileviewer.audit import writer
from profileviewer.audit.models import AccessRecord
from tests.faults.conftest import CALL_BUDGET, Cell, World, record_cell
from tests.viewer.conftest import HTMX, JOE

# Room for a loaded two-core machine on top of the call budgets a surface spends in turn.
MARGIN = 0.6
# Far past any surface's budget, so one that does not enforce it cannot pass.
SLOW_MS = 1500
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class Fault:
    label: str
    header: str | None  # the X-Sandbox-Fault the client's calls carry; None: nothing listens
    kind: str  # the panel's AgentError.kind
    api_status: int
    api_code: str
    api_message: str
    answered: bool  # the upstream answered: its request id reaches the agent and the caller
    retry_in: int | None = None  # 429s: seconds before the panel retries itself
    api_retry_after: int | None = None  # 429s: the API's Retry-After
    endpoint: str | None = None  # only this upstream endpoint misbehaves; None: all of them

    def __str__(self) -> str:
        return self.label


def _server_error(status: int) -> Fault:
    message = f"The Profiles API failed ({status})."
    return Fault(
        f"HTTP {status}",
        f"error_rate=1; error_status={status}",
        "unavailable",
        502,
        "upstream_error",
        message,
        answered=True,
    )


def _rate_limited(retry_after: str, *, panel_retry: int, api_retry: int) -> Fault:
    return Fault(
        f"429 storm, Retry-After {retry_after}",
        f"rate_limit_rate=1; retry_after={retry_after}",
        "rate_limited",
        503,
        "upstream_rate_limited",
        "The Profiles API is busy; retry shortly.",
        answered=True,
        retry_in=panel_retry,
        api_retry_after=api_retry,
    )


NOT_IN_TIME = "The Profiles API did not answer in time."
HEALTHY = Fault("no fault", "", "ok", 200, "", "", answered=True)
SLOW_ANSWER = f"latency_ms={SLOW_MS}"
LATENCY = Fault(
    f"latency {SLOW_MS} ms",
    SLOW_ANSWER,
    "unavailable",
    504,
    "upstream_timeout",
    NOT_IN_TIME,
    answered=False,
)
HTTP_503 = _server_error(503)
MALFORMED = Fault(
    "malformed JSON",
    "malformed_rate=1",
    "protocol",
    502,
    "upstream_error",
    "The Profiles API sent a response we could not read.",
    answered=True,
)
FAULTS = [
    HEALTHY,
    LATENCY,
    _server_error(500),
    _server_error(502),
    HTTP_503,
    _server_error(504),
    # 1 s is within INTILERY_MAX_RETRY_AFTER (2 s) but not the call budget; 5 s is past the
    # cap, so the client gives up at once. Without one the panel waits its default 3 s.
    _rate_limited("1", panel_retry=1, api_retry=1),
    _rate_limited("5", panel_retry=5, api_retry=5),
    _rate_limited("none", panel_retry=3, api_retry=1),
    MALFORMED,
    Fault(
        f"slow drip {SLOW_MS} ms",
        f"slow_drip_ms={SLOW_MS}",
        "unavailable",
        504,
        "upstream_timeout",
        NOT_IN_TIME,
        answered=True,
    ),
    Fault(
        "connection refused",
        None,
        "unavailable",
        504,
        "upstream_timeout",
        NOT_IN_TIME,
        answered=False,
    ),
    # One endpoint alone misbehaving: the surfaces that do not read it must not notice.
    *[
        replace(fault, label=f"{endpoint} only: {fault.label}", endpoint=endpoint)
        for endpoint, fault in [
            ("events", LATENCY),
            ("events", HTTP_503),
            ("events", MALFORMED),
            ("meta", HTTP_503),
            ("meta", MALFORMED),
        ]
    ],
]


@dataclass(frozen=True)
class Surface:
    name: str
    path: str
    reads: frozenset[str]  # the upstream endpoints whose failure reaches this surface
    calls_in_turn: int  # client calls made one after another, each with its own budget
    healthy_text: str
    api: bool = False
    # The header and the traits panel read `traits` when `meta` is unreadable
    # (services.profile_traits), so a malformed `meta` costs only the metadata panel.
    traits_if_meta_unreadable: bool = False

    def __str__(self) -> str:
        return self.name

    def fails_under(self, fault: Fault) -> bool:
        reads = self.reads
        if fault.kind == "protocol" and self.traits_if_meta_unreadable:
            reads = reads - {"meta"} | {"traits"}
        return fault.kind != "ok" and (fault.endpoint is None or fault.endpoint in reads)

    @property
    def budget(self) -> float:
        return self.calls_in_turn * CALL_BUDGET + MARGIN


META, EVENTS = frozenset({"meta"}), frozenset({"events"})
API_JOE = "/api/v1/profiles/userId:qrc-117322"
# Each panel first checks the customer exists (services.require_customer, a `meta` read that
# leaves failures other than "not found" to the panel's own reads): two calls in turn.
SURFACES = [
    Surface("header", "/profile/header", META, 1, "Joe Bloggs", traits_if_meta_unreadable=True),
    Surface("traits", "/profile/traits", META, 2, "Intilery", traits_if_meta_unreadable=True),
    Surface("meta", "/profile/meta", META, 2, "by a CSV import"),
    Surface("summary", "/profile/summary", META | EVENTS, 2, "Churn risk"),
    Surface("activity", "/profile/activity", EVENTS, 2, "Events per day, last 90 days"),
    Surface("not-bought", "/profile/viewed-not-bought", EVENTS, 2, "Rain Jacket"),
    Surface("timeline", "/profile/timeline", EVENTS, 2, "Stay dry this winter"),
    Surface("api/profile", API_JOE, META, 1, "Joe Bloggs", api=True),
    Surface("api/summary", API_JOE + "/summary", META | EVENTS, 1, "churnRisk", api=True),
    Surface(
        "api/not-bought",
        API_JOE + "/recommendations/viewed-not-purchased",
        EVENTS,
        1,
        "SKU-1",
        api=True,
    ),
]
SHORT_KINDS = {"unavailable": "unavail", "rate_limited": "busy", "protocol": "unread"}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: str
    elapsed: float


def _ask(world: World, surface: Surface, *, over_http: bool = False) -> Answer:
    """Joe's `surface`, as an API caller or an agent's htmx request (the test client, or real
    HTTP when several go at once) asks for it."""
    started = time.monotonic()
    url = world.live_url + surface.path
    if surface.api:
        bearer = {"Authorization": f"Bearer {world.api_token}"}
        response = requests.get(url, headers=bearer, timeout=10)
    elif over_http:
        name = settings.SESSION_COOKIE_NAME
        signed_in = {name: world.agent.cookies[name].value}
        response = requests.get(
            url, {"ref": JOE}, headers={"HX-Request": "true"}, cookies=signed_in, timeout=10
        )
    else:
        page = world.agent.get(surface.path, {"ref": JOE}, **HTMX)
        return Answer(
            page.status_code, dict(page.items()), page.content.decode(), time.monotonic() - started
        )
    return Answer(
        response.status_code, dict(response.headers), response.text, time.monotonic() - started
    )


def _check_panel(fault: Fault, surface: Surface, answer: Answer, cell: Cell) -> None:
    html = answer.body
    kinds = re.findall(r'class="alert alert-([a-z_]+)"', html)
    if kinds:
        cell.seen = SHORT_KINDS.get(kinds[0], kinds[0])
    else:
        cell.seen = "ok" if surface.healthy_text in html else "blank"
    # htmx swaps only 2xx answers: a failing panel answers 200 with its error state.
    assert answer.status == 200
    if not surface.fails_under(fault):
        assert kinds == [], f"{surface} shows an error under {fault}"
        assert surface.healthy_text in html
        return
    assert kinds == [fault.kind]
    if fault.retry_in is not None:
        cell.seen = f"busy {fault.retry_in}s"
        assert f"retrying in {fault.retry_in} s." in html
    assert ("Request id <code>" in html) == fault.answered


def _check_api(fault: Fault, surface: Surface, answer: Answer, cell: Cell) -> None:
    headers = answer.headers
    cell.seen = str(answer.status)
    assert UUID.fullmatch(headers.get("X-Request-Id", "")), "every answer has X-Request-Id"
    assert headers["Content-Type"] == "application/json"
    if not surface.fails_under(fault):
        assert answer.status == 200
        assert surface.healthy_text in answer.body
        return
    body = json.loads(answer.body)
    assert answer.status == fault.api_status
    assert list(body) == ["error"] and sorted(body["error"]) == ["code", "message"]
    assert body["error"]["code"] == fault.api_code
    assert body["error"]["message"].startswith(fault.api_message)
    upstream_id = headers.get("X-Upstream-Request-Id")
    if fault.answered:
        assert upstream_id and upstream_id in body["error"]["message"]
    else:
        assert upstream_id is None
    if fault.api_retry_after is not None:
        cell.seen = f"503 RA{fault.api_retry_after}"
        assert headers["Retry-After"] == str(fault.api_retry_after)


def _audit_record(surface: Surface, answer: Answer) -> AccessRecord:
    """The one access record this answer's request left: an API call by its request id, a
    panel by its name (one request per panel and test)."""
    writer.flush()
    if surface.api:
        records = AccessRecord.objects.filter(request_id=answer.headers["X-Request-Id"])
    else:
        panel = surface.path.removeprefix("/profile/")
        records = AccessRecord.objects.filter(where="standalone", what=panel)
    found = list(records.filter(customer_ref=JOE))
    assert len(found) == 1, f"{surface}: {len(found)} access records, not 1"
    return found[0]


def _check_audit(fault: Fault, surface: Surface, answer: Answer, cell: Cell) -> None:
    record = _audit_record(surface, answer)
    if not surface.fails_under(fault):
        expected = "ok"
    else:
        expected = str(fault.api_status) if surface.api else fault.kind
    assert record.outcome == expected, f"{surface}: audit outcome {record.outcome!r}"
    ids = record.upstream_request_id
    if surface.fails_under(fault) and fault.answered:
        assert ids, f"{surface}: no upstream request id in the audit"
    elif surface.fails_under(fault) and fault.endpoint is None:
        # Nothing answered any call; a fault on one endpoint leaves the others' ids.
        assert not ids, f"{surface}: upstream request id {ids!r} in the audit"
    cell.audited = True


def _check(fault: Fault, surface: Surface, answer: Answer, cell: Cell) -> None:
    cell.elapsed = answer.elapsed
    assert answer.status < 500 or answer.status in (502, 503, 504), "never a 500"
    if surface.api:
        _check_api(fault, surface, answer, cell)
    else:
        _check_panel(fault, surface, answer, cell)
    assert answer.elapsed <= surface.budget, f"{surface} answered past its time budget"
    _check_audit(fault, surface, answer, cell)


@pytest.mark.parametrize("surface", SURFACES, ids=str)
@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_each_surface_answers_each_fault_in_time_with_the_right_message(
    world: World, fault: Fault, surface: Surface, cell: Cell
) -> None:
    url = settings.INTILERY_API_URL
    if fault.header is None:
        url = f"http://127.0.0.1:{world.closed_port}/sandbox"
    elif fault.header:
        world.inject(fault.header, fault.endpoint)
    with override_settings(INTILERY_API_URL=url):
        answer = _ask(world, surface)
    _check(fault, surface, answer, cell)


SLOW_EVENTS = replace(
    LATENCY, label=f"events only, at once: latency {SLOW_MS} ms", endpoint="events"
)


def test_a_slow_events_endpoint_holds_up_no_surface_that_does_not_read_it(
    world: World, request: pytest.FixtureRequest
) -> None:
    """As a profile page loads them: every surface at once, over HTTP, while every `events`
    read hangs. Those that do not read events answer as if nothing were wrong."""
    world.inject(SLOW_ANSWER, "events")
    with ThreadPoolExecutor(len(SURFACES)) as pool:
        answers = list(pool.map(lambda s: _ask(world, s, over_http=True), SURFACES))
    cells = [record_cell(request.node.nodeid, SLOW_EVENTS.label, s.name) for s in SURFACES]
    failures = []
    for surface, answer, cell in zip(SURFACES, answers, cells, strict=True):
        try:  # every cell is checked, so the printed row is whole even when one fails
            _check(SLOW_EVENTS, surface, answer, cell)
            if not surface.fails_under(SLOW_EVENTS):
                assert answer.elapsed < CALL_BUDGET, f"{surface} waited for the events reads"
        except AssertionError as failure:
            failures.append(f"{surface}: {failure}")
    assert not failures, "\n".join(failures)
