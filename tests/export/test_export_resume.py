"""The whole demo data set with events, exported three ways that must agree byte for byte:
uninterrupted; cut by an upstream failure and resumed; cut by Ctrl-C (SIGINT) and resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

from profileviewer.client import UnavailableError
from profileviewer.export import ExportOptions, UpstreamFailure, run_export
from profileviewer.sandbox.demo import seed
from profileviewer.sandbox.models import Event, Profile
from tests.masking.roles import EVERYTHING, make_role

# The demo data set at a size the suite can afford: 120 profiles are two listing pages, so the
# cut falls inside the second. (Events past the 10,000-event window: test_records.py.)
DEMO = {"profiles": 120, "seed": 42, "large_profiles": 0}


class FailsAfter:
    """The real client, except that the Profiles API 'drops' once `profiles` profiles are done."""

    def __init__(self, client, profiles: int) -> None:
        self.client = client
        self.left = profiles

    def list_profiles(self, *args, **kwargs):
        return self.client.list_profiles(*args, **kwargs)

    def events(self, ref, query, **kwargs):
        if kwargs.get("offset", 0) == 0 and query.end is None:
            self.left -= 1
            if self.left < 0:
                raise UnavailableError("Upstream dropped", http_status=503, request_id="req-drop")
        return self.client.events(ref, query, **kwargs)


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def export_command(out: Path, sandbox_url: str, *extra: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "profileviewer.settings",
        "SANDBOX": "true",
        "SECRET_KEY": "x" * 40,
        "INTILERY_API_URL": sandbox_url,
        "INTILERY_RATE_LIMIT": "10000",
        "INTILERY_RATE_BURST": "10000",
        "INTILERY_CALL_BUDGET": "20",
        "INTILERY_READ_TIMEOUT": "20",
        # The test's own database, where the export's role is.
        "DATABASE_URL": database_url(),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "export_profiles",
            "--out",
            str(out),
            "--with-events",
            "--role",
            EVERYTHING,
            *extra,
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_an_interrupted_and_resumed_export_equals_an_uninterrupted_one(
    client, sandbox_url, tmp_path
):
    seed(**DEMO)
    make_role(EVERYTHING, "view_full_phone", "view_restricted_traits", "view_raw_events")
    profiles, events = Profile.objects.count(), Event.objects.count()

    # 1. Uninterrupted.
    whole = tmp_path / "whole.jsonl"
    result = run_export(client, ExportOptions(whole, with_events=True))
    assert (result.profiles, result.events) == (profiles, events)
    lines = whole.read_bytes().splitlines()
    assert len(lines) == profiles
    ids = [json.loads(line)["profile"]["id"] for line in lines]
    assert len(set(ids)) == profiles  # no duplicates, no gaps
    assert sum(len(json.loads(line)["events"]) for line in lines) == events

    # 2. The upstream drops after 110 profiles (into the second listing page), then resume.
    cut = tmp_path / "cut.jsonl"
    with pytest.raises(UpstreamFailure, match="req-drop"):
        run_export(FailsAfter(client, 110), ExportOptions(cut, with_events=True), workers=1)
    assert not cut.exists()  # never a half-written file under the final name
    checkpoint = json.loads((tmp_path / "cut.jsonl.checkpoint").read_text())
    assert checkpoint["count"] == 110 and checkpoint["skip"] == 10
    resumed = run_export(client, ExportOptions(cut, with_events=True), resume=True)
    assert resumed.resumed_from == 110
    assert cut.read_bytes() == whole.read_bytes()
    assert not (tmp_path / "cut.jsonl.checkpoint").exists()
    assert not (tmp_path / "cut.jsonl.part").exists()

    # 3. Ctrl-C in a real process (slowed upstream so it is caught mid-way), then resume.
    stopped = tmp_path / "stopped.jsonl"
    part = tmp_path / "stopped.jsonl.part"
    with override_settings(SANDBOX_FAULT_LATENCY_MS=5):
        process = export_command(stopped, sandbox_url)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not part.exists() or part.stat().st_size < 20_000):
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "--resume" in err
    assert not stopped.exists()
    assert json.loads((tmp_path / "stopped.jsonl.checkpoint").read_text())["count"] > 0
    process = export_command(stopped, sandbox_url, "--resume")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert f"Exported {profiles:,} profiles and {events:,} events" in out
    assert "resumed at" in out
    assert stopped.read_bytes() == whole.read_bytes()
