"""The trail in the admin: listed, filtered, read-only, exported as CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from profileviewer.audit.models import AccessRecord

CHANGELIST = reverse("admin:audit_accessrecord_changelist")


@pytest.fixture
def staff(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("carol", "carol@example.com", "pw-carol-1"))
    return client


def access(ref: str, where: str = "standalone") -> AccessRecord:
    return AccessRecord.objects.create(
        who_kind="agent", who="alice", where=where, customer_ref=ref, what="meta", outcome="ok"
    )


def test_the_list_filters_by_where_and_searches_by_customer(staff):
    access("userId:joe", "standalone")
    access("userId:sam", "api")
    page = staff.get(CHANGELIST, {"where": "api", "q": "sam"}).content.decode()
    assert "userId:sam" in page and "userId:joe" not in page


def test_records_cannot_be_added_changed_or_deleted_in_the_admin(staff):
    record = access("userId:joe")
    assert staff.get(reverse("admin:audit_accessrecord_add")).status_code == 403
    delete = reverse("admin:audit_accessrecord_delete", args=[record.pk])
    assert staff.post(delete, {"post": "yes"}).status_code == 403
    assert AccessRecord.objects.filter(pk=record.pk).exists()


def test_the_selected_records_export_as_csv(staff):
    joe, _sam = access("userId:joe"), access("userId:sam")
    response = staff.post(
        CHANGELIST, {"action": "export_csv", "_selected_action": [joe.pk], "index": 0}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(row["who"], row["customer_ref"]) for row in rows] == [("alice", "userId:joe")]
