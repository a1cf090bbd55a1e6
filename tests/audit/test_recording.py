"""What each way in records: the viewer, the embedded sidebar, the API, the export."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from profileviewer.audit import writer
from profileviewer.audit.models import AccessRecord
from profileviewer.client import ProfileRef, RateLimitError
from profileviewer.embed import tokens
from profileviewer.embed.hosts import HostUser
from tests.viewer.conftest import HTMX, JOE

JOE_EMAIL = "email:joe.bloggs@example.com"


def recorded() -> list[AccessRecord]:
    writer.flush()
    return list(AccessRecord.objects.order_by("id"))


def test_a_panel_seen_by_a_signed_in_agent_records_who_where_and_which_customer(agent, upstream):
    response = agent.get("/profile/traits", {"ref": JOE}, **HTMX)
    assert response.status_code == 200
    [record] = recorded()
    assert (record.who_kind, record.who, record.where) == ("agent", "alice", "standalone")
    assert (record.customer_ref, record.what, record.outcome) == (JOE, "traits", "ok")


def test_a_failing_panel_records_the_error_kind_and_the_upstream_request_id(agent, stub_client):
    stub_client(RateLimitError("slow", request_id="req-429", retry_after=4))
    agent.get("/profile/activity", {"ref": JOE}, **HTMX)
    [record] = recorded()
    assert (record.outcome, record.upstream_request_id) == ("rate_limited", "req-429")


def test_the_same_customer_typed_differently_is_one_reference(agent, stub_client):
    stub_client(RateLimitError("slow", request_id="req-429"))
    agent.get("/profile/traits", {"ref": "email:Joe.Bloggs@Example.com"}, **HTMX)
    agent.get("/lookup", {"q": "joe.bloggs@example.com"})
    assert {record.customer_ref for record in recorded()} == {JOE_EMAIL}


def test_pages_without_a_customer_record_nothing(agent):
    assert agent.get("/").status_code == 200
    assert recorded() == []


def test_the_embedded_sidebar_records_the_host_user_with_host_and_account(upstream):
    token = tokens.issue(HostUser("zendesk", "sandbox-demo/1", "1001"))
    sidebar = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HX_REQUEST="true")
    assert sidebar.get("/embed/zendesk/sidebar", {"ref": JOE_EMAIL}).status_code == 200
    [record] = recorded()
    assert (record.who_kind, record.where) == ("host_user", "zendesk")
    assert record.who == "zendesk:sandbox-demo/1:1001"
    assert (record.customer_ref, record.what, record.outcome) == (JOE_EMAIL, "sidebar", "ok")


def test_an_api_call_records_the_service_key_and_the_request_id(api):
    response = api.get(f"/api/v1/profiles/{JOE}/summary", api.shop_token)
    assert response.status_code == 200
    [record] = recorded()
    assert (record.who_kind, record.where, record.what) == ("service_key", "api", "summary")
    assert record.who.startswith("web shop (")
    assert (record.customer_ref, record.outcome) == (JOE, "ok")
    assert record.request_id == response.headers["X-Request-Id"]


def test_an_api_call_for_nobody_records_the_refusal(api):
    api.get("/api/v1/profiles/userId:nobody-here", api.shop_token)
    [record] = recorded()
    assert (record.customer_ref, record.what, record.outcome) == (
        "userId:nobody-here",
        "profile",
        "404",
    )


def test_an_unauthenticated_api_call_records_nothing(api):
    assert api.get(f"/api/v1/profiles/{JOE}").status_code == 401
    assert recorded() == []


def test_an_exported_profile_is_recorded_for_the_operator(db):
    from profileviewer.audit import trail

    trail.record_export(ProfileRef("id", "9D1C0C53-0000-4000-8000-000000000001"))
    [record] = recorded()
    assert (record.who_kind, record.where, record.what) == ("operator", "export", "export")
    assert record.customer_ref == "id:9d1c0c53-0000-4000-8000-000000000001"


def test_a_failure_to_audit_is_logged_and_the_agent_still_sees_the_panel(
    agent, stub_client, monkeypatch, caplog
):
    stub_client(RateLimitError("slow", request_id="req-429"))

    def broken(record: AccessRecord) -> None:
        raise RuntimeError("queue gone")

    monkeypatch.setattr(writer, "enqueue", broken)
    with caplog.at_level(logging.WARNING, logger="profileviewer.audit"):
        response = agent.get("/profile/traits", {"ref": JOE}, **HTMX)
    assert response.status_code == 200
    assert "Could not record an access" in caplog.text


@pytest.mark.django_db
def test_a_failing_database_write_is_logged_not_raised(monkeypatch, caplog):
    from profileviewer.audit import trail

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database gone")

    trail.record_export(ProfileRef("userId", "joe"))
    monkeypatch.setattr(AccessRecord.objects, "bulk_create", broken)
    with caplog.at_level(logging.WARNING, logger="profileviewer.audit"):
        writer.flush()
    assert "Could not write 1 audit records" in caplog.text


def test_an_export_records_every_profile_it_wrote(sandbox_url, tmp_path):
    import dataclasses

    from profileviewer.client.client import ProfilesClient
    from profileviewer.client.config import ClientConfig
    from profileviewer.export.runner import ExportOptions, run_export
    from profileviewer.sandbox.store import create_profile

    ids = {str(create_profile(email=f"c{n}@example.com").id).lower() for n in range(3)}
    client = ProfilesClient(dataclasses.replace(ClientConfig.from_settings(), cache_ttl=0))
    assert run_export(client, ExportOptions(tmp_path / "all.jsonl")).profiles == 3
    records = recorded()
    assert {record.customer_ref for record in records} == {f"id:{i}" for i in ids}
    assert {(record.who_kind, record.where) for record in records} == {("operator", "export")}


def test_a_failing_profile_header_records_the_error_kind(agent, stub_client):
    from profileviewer.client import UnavailableError

    stub_client(UnavailableError("down", http_status=503, request_id="req-503"))
    agent.get("/profile/header", {"ref": JOE}, **HTMX)
    [record] = recorded()
    assert (record.what, record.outcome, record.upstream_request_id) == (
        "header",
        "unavailable",
        "req-503",
    )
