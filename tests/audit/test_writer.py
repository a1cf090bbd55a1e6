"""The writer: records land in the database at shutdown, through a Redis outage, and from the
background thread; never on the request's path."""

from __future__ import annotations

import time

import pytest
from django.test import override_settings

from profileviewer.audit import trail, writer
from profileviewer.audit.models import AccessRecord
from profileviewer.client import ProfileRef

# Nothing listens here: every Redis call would fail at once.
CLOSED_REDIS = "redis://127.0.0.1:1/0"


def export_of(*names: str) -> None:
    for name in names:
        trail.record_export(ProfileRef("userId", name))


@pytest.mark.django_db
def test_a_normal_shutdown_writes_everything_still_queued():
    export_of("joe", "sam", "priya")
    assert AccessRecord.objects.count() == 0  # queued, not yet written
    writer.shutdown()  # what atexit runs
    assert sorted(AccessRecord.objects.values_list("customer_ref", flat=True)) == [
        "userId:joe",
        "userId:priya",
        "userId:sam",
    ]


@pytest.mark.django_db
@override_settings(REDIS_URL=CLOSED_REDIS)
def test_records_land_while_redis_is_down(agent, stub_client):
    from profileviewer.client import RateLimitError
    from tests.viewer.conftest import HTMX, JOE

    stub_client(RateLimitError("slow", request_id="req-429"))
    assert agent.get("/profile/traits", {"ref": JOE}, **HTMX).status_code == 200
    export_of("joe")
    writer.flush()
    assert AccessRecord.objects.count() == 2


@override_settings(AUDIT_BACKGROUND_WRITES=True)
def test_the_background_thread_writes_batches_and_stops_cleanly(transactional_db):
    export_of(*(f"customer-{n}" for n in range(1200)))  # more than two batches
    deadline = time.monotonic() + 10
    while AccessRecord.objects.count() < 1200 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert AccessRecord.objects.count() == 1200
    writer.shutdown()
    assert writer._thread is None
    export_of("after-shutdown")  # a new thread starts on demand
    writer.shutdown()
    assert AccessRecord.objects.count() == 1201


def test_a_process_that_exits_normally_writes_what_it_queued(tmp_path):
    """The real thing atexit does: a fresh process queues records and exits at once."""
    import sqlite3
    import subprocess
    import sys

    from django.conf import settings

    database = tmp_path / "audit.sqlite3"
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "profileviewer.settings",
        "SANDBOX": "true",
        "SECRET_KEY": "x" * 40,
        "DATABASE_URL": f"sqlite:///{database}",
    }

    def run(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, *args], cwd=settings.BASE_DIR, env=env, capture_output=True, timeout=60
        )
        assert done.returncode == 0, done.stderr.decode()

    run("manage.py", "migrate", "audit", "--verbosity", "0")
    run(
        "-c",
        "import django; django.setup()\n"
        "from profileviewer.audit import trail\n"
        "from profileviewer.client import ProfileRef\n"
        "for n in range(1000): trail.record_export(ProfileRef('userId', f'c{n}'))\n",
    )
    with sqlite3.connect(database) as db:
        assert db.execute("select count(*) from audit_accessrecord").fetchone() == (1000,)
