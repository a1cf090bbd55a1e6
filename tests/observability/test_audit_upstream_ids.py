"""An access record names the upstream calls that served it, on success too (issue 21)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from profileviewer.audit import trail, writer
from profileviewer.audit.models import AccessRecord
from profileviewer.observability import context
from tests.viewer.conftest import HTMX, JOE

pytestmark = pytest.mark.django_db


class _Calls(logging.Handler):
    """The upstream calls the client logs, with their request ids."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.calls: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        upstream_id = getattr(record, "upstream_request_id", None)
        if upstream_id:
            self.calls.append((context.request_id() or "", upstream_id))


@pytest.fixture
def upstream_calls() -> Iterator[_Calls]:
    handler = _Calls()
    client_logger = logging.getLogger("profileviewer.client")
    client_logger.addHandler(handler)
    yield handler
    client_logger.removeHandler(handler)


def recorded() -> list[AccessRecord]:
    writer.flush()
    return list(AccessRecord.objects.order_by("id"))


def test_a_panel_served_by_the_upstream_records_its_calls_ids(agent, upstream, upstream_calls):
    response = agent.get("/profile/traits", {"ref": JOE}, **HTMX)
    assert response.status_code == 200
    [record] = recorded()
    ours = [uid for rid, uid in upstream_calls.calls if rid == response["X-Request-Id"]]
    assert ours
    assert record.upstream_request_id == ",".join(ours)
    assert record.request_id == response["X-Request-Id"]


def test_a_panel_answered_from_the_cache_records_no_upstream_id(agent, upstream):
    agent.get("/profile/traits", {"ref": JOE}, **HTMX)
    agent.get("/profile/meta", {"ref": JOE}, **HTMX)  # the same answer, from the client's cache
    agent.get("/profile/traits", {"ref": JOE}, **HTMX)  # the panel as kept
    first, from_cache, kept = recorded()
    assert first.upstream_request_id
    assert from_cache.upstream_request_id == kept.upstream_request_id == ""
    assert kept.outcome == "ok"


def test_a_summary_records_the_calls_made_on_worker_threads(agent, upstream, upstream_calls):
    response = agent.get("/profile/summary", {"ref": JOE}, **HTMX)
    [record] = recorded()
    ours = {uid for rid, uid in upstream_calls.calls if rid == response["X-Request-Id"]}
    assert len(ours) >= 5
    assert set(record.upstream_request_id.split(",")) == ours
    assert len(record.upstream_request_id) <= 200


def test_a_successful_api_call_records_its_upstream_ids(api, upstream_calls):
    response = api.get("/api/v1/profiles/userId:qrc-117322", api.shop_token)
    assert response.status_code == 200
    [record] = recorded()
    ours = [uid for rid, uid in upstream_calls.calls if rid == response.headers["X-Request-Id"]]
    assert ours and record.upstream_request_id == ",".join(ours)
    assert record.request_id == response.headers["X-Request-Id"]


def test_the_errors_own_id_leads_and_whole_ids_fit_the_column():
    token = context.begin("req-1")
    try:
        for n in range(10):
            context.note_upstream_call(f"upstream-call-{n:02d}-" + "x" * 20)
        joined = trail.upstream_ids("the-failed-call")
    finally:
        context.end(token)
    ids = joined.split(",")
    assert ids[0] == "the-failed-call"
    assert len(joined) <= 200 and all(i.endswith("x" * 20) for i in ids[1:])
    each = len(",upstream-call-00-") + 20
    assert len(ids) == 1 + (200 - len("the-failed-call")) // each  # 4 of the 10 fit


def test_outside_a_request_there_is_no_upstream_id():
    assert trail.upstream_ids() == ""
    assert trail.upstream_ids("only-this") == "only-this"
