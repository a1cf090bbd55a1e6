"""The fault matrix's world: Joe in the sandbox on a live server, Alice signed in to the
viewer, a service key for the API, and a way to make the sandbox misbehave for every upstream
call or for one endpoint only. Each cell's outcome is printed as a table at the end of the run,
with a last column counting the cells of each row whose request left the right audit record.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone
from requests import PreparedRequest
from requests.adapters import HTTPAdapter

from profileviewer import parallel
from profileviewer.api import ratelimit
from profileviewer.api.keys import create_service_key
from profileviewer.audit import writer
from profileviewer.client import ProfileRef
from profileviewer.client.client import reset_client_state, shared_session
from profileviewer.client.config import ClientConfig
from profileviewer.client.transport import POOL_SIZE
from profileviewer.sandbox.faults import HEADER
from tests.viewer.conftest import JOE, seed_customers

# Small enough that a fault costs a fraction of a second, so the matrix stays fast.
CALL_BUDGET = 0.3
READ_TIMEOUT = 0.2


class _FaultAdapter(HTTPAdapter):
    """Sends the sandbox's fault header on every request whose URL starts with its prefix."""

    def __init__(self, fault: str) -> None:
        super().__init__(pool_maxsize=POOL_SIZE, max_retries=0)
        self.fault = fault

    def add_headers(self, request: PreparedRequest, **kwargs: Any) -> None:
        request.headers[HEADER] = self.fault


@dataclass
class World:
    live_url: str
    agent: Client
    api_token: str
    # A port with a socket bound but not listening: a connection to it is refused at once.
    closed_port: int

    def endpoint_url(self, endpoint: str | None) -> str:
        """Where the client sends Joe's `endpoint` reads (meta, traits, events); None: every
        sandbox URL."""
        if endpoint is None:
            return settings.INTILERY_API_URL + "/"
        tenant = ClientConfig.from_settings().tenant_path
        joe = ProfileRef.parse(JOE).path_segment()
        return f"{settings.INTILERY_API_URL}{tenant}/profiles/{joe}/{endpoint}"

    def inject(self, fault: str, endpoint: str | None = None) -> None:
        """Every upstream call to `endpoint` (None: all of them) asks the sandbox for `fault`
        (its X-Sandbox-Fault syntax). The SANDBOX_FAULT_* settings cannot choose the status,
        leave out Retry-After or single out an endpoint; the header can, and the session
        picks an adapter by URL prefix, so one on the endpoint's URL adds it there alone."""
        shared_session().mount(self.endpoint_url(endpoint), _FaultAdapter(fault))


@pytest.fixture
def world(live_server: Any, transactional_db: None) -> Iterator[World]:
    """The viewer's customers in the sandbox (tests/viewer), behind a short call budget."""
    reset_client_state()
    cache.clear()
    ratelimit.reset()
    writer.discard()  # records an earlier test's requests queued belong to its database
    seed_customers(timezone.now())
    alice = User.objects.create_user("alice", password="alice-password-1", first_name="Alice")
    agent = Client()
    agent.force_login(alice)
    _, token = create_service_key("fault matrix", rate_limit=1000, rate_burst=1000)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    try:
        with override_settings(
            INTILERY_API_URL=live_server.url + "/sandbox",
            INTILERY_CALL_BUDGET=CALL_BUDGET,
            INTILERY_READ_TIMEOUT=READ_TIMEOUT,
            VIEWER_LIVE_POLL_SECONDS=15,
        ):
            yield World(live_server.url, agent, token, closed.getsockname()[1])
            assert parallel.wait_idle(), "background reads still running 10 s after the test"
    finally:
        closed.close()
        reset_client_state()
        cache.clear()
        ratelimit.reset()


# --- The printed matrix ---------------------------------------------------------------------


@dataclass
class Cell:
    row: str
    column: str
    seen: str = "?"  # what the surface answered, in short
    elapsed: float | None = None
    audited: bool = False  # its request left an access record with the right outcome


@dataclass
class Matrix:
    rows: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    cells: list[tuple[str, Cell]] = field(default_factory=list)  # with their test's node id
    nodeids: set[str] = field(default_factory=set)
    outcomes: dict[str, str] = field(default_factory=dict)  # by node id


MATRIX = Matrix()
OUTCOME_MARKS = {"passed": "", "failed": " FAIL"}


def record_cell(nodeid: str, row: str, column: str) -> Cell:
    """A new cell of the printed matrix, for the test `nodeid` to fill in."""
    if row not in MATRIX.rows:
        MATRIX.rows.append(row)
    if column not in MATRIX.columns:
        MATRIX.columns.append(column)
    found = Cell(row, column)
    MATRIX.cells.append((nodeid, found))
    MATRIX.nodeids.add(nodeid)
    return found


@pytest.fixture
def cell(request: pytest.FixtureRequest) -> Cell:
    """This test's cell: its row is the fault, its column the surface."""
    params = request.node.callspec.params
    return record_cell(request.node.nodeid, str(params["fault"]), str(params["surface"]))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if item.nodeid in MATRIX.nodeids and (report.when == "call" or report.failed):
        outcome = report.outcome
        # The first phase that did not pass decides (a failing teardown after a passing call).
        if MATRIX.outcomes.get(item.nodeid, "passed") == "passed":
            MATRIX.outcomes[item.nodeid] = outcome
    return report


def _cell_text(nodeid: str, cell: Cell) -> str:
    seconds = f" {cell.elapsed:.2f}".replace(" 0.", " .") if cell.elapsed is not None else ""
    outcome = MATRIX.outcomes.get(nodeid, "not run")
    return cell.seen + seconds + OUTCOME_MARKS.get(outcome, f" {outcome}")


AUDIT_COLUMN = "audit"


def _audit_text(row: str) -> str:
    cells = [cell for _, cell in MATRIX.cells if cell.row == row]
    return f"{sum(cell.audited for cell in cells)}/{len(cells)}"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not MATRIX.cells:  # none of this module's tests ran (-m postgres, -k)
        return
    texts = {(cell.row, cell.column): _cell_text(nodeid, cell) for nodeid, cell in MATRIX.cells}
    texts |= {(row, AUDIT_COLUMN): _audit_text(row) for row in MATRIX.rows}
    columns = [*MATRIX.columns, AUDIT_COLUMN]
    first = max(len(row) for row in MATRIX.rows)
    widths = [
        max([len(column)] + [len(texts.get((row, column), "")) for row in MATRIX.rows])
        for column in columns
    ]
    write = terminalreporter.write_line
    terminalreporter.section("fault matrix")
    write(
        "Panels: ok, or the error shown: unavail(able), busy <n>s (rate limited, retrying in "
        "n s), unread(able answer). API: the status (RA<n>: Retry-After n). Then seconds."
    )
    write(
        f"Call budget {CALL_BUDGET:g} s (read timeout {READ_TIMEOUT:g} s). Audit: the row's "
        "cells whose request left one access record with the right outcome."
    )
    header = [" " * first, *(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    write("  ".join(header).rstrip())
    for row in MATRIX.rows:
        line = [row.ljust(first)]
        line += [
            texts.get((row, column), "-").ljust(width)
            for column, width in zip(columns, widths, strict=True)
        ]
        write("  ".join(line).rstrip())
