"""'Who viewed this customer', its command, and the retention purge."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from profileviewer.audit.models import AccessRecord
from profileviewer.audit.trail import viewers_of

JOE = "email:joe.bloggs@example.com"


def access(ref: str = JOE, *, days_ago: int = 0, who: str = "alice") -> AccessRecord:
    return AccessRecord.objects.create(
        at=timezone.now() - timedelta(days=days_ago),
        who_kind="agent",
        who=who,
        where="standalone",
        customer_ref=ref,
        what="traits",
        outcome="ok",
    )


@pytest.mark.django_db
def test_who_viewed_a_customer_is_one_query_oldest_first(django_assert_num_queries):
    later, earlier = access(who="alice", days_ago=1), access(who="bob", days_ago=3)
    access("userId:someone-else")
    with django_assert_num_queries(1):
        viewers = viewers_of("email:Joe.Bloggs@example.com")
    assert viewers == [earlier, later]


@pytest.mark.django_db
def test_the_audit_customer_command_prints_the_records_as_csv():
    access(who="alice")
    access("userId:someone-else", who="bob")
    out = io.StringIO()
    call_command("audit_customer", JOE, stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(row["who"], row["customer_ref"], row["outcome"]) for row in rows] == [
        ("alice", JOE, "ok")
    ]


@pytest.mark.django_db
def test_a_formula_typed_as_a_reference_stays_text_in_the_csv():
    access("=HYPERLINK(1)")
    out = io.StringIO()
    call_command("audit_customer", "=HYPERLINK(1)", stdout=out)
    assert "'=HYPERLINK(1)" in out.getvalue()


@pytest.mark.django_db
@override_settings(AUDIT_RETENTION_DAYS=30)
def test_the_purge_deletes_only_records_past_the_retention_period():
    kept, _old = access(days_ago=29), access(days_ago=31)
    out = io.StringIO()
    call_command("purge_audit", stdout=out)
    assert "Deleted 1 access records" in out.getvalue()
    assert list(AccessRecord.objects.all()) == [kept]
