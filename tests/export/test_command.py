"""export_profiles from the command line: formats, options, and exit codes that mean something."""

import csv
import io
import os
import stat
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from profileviewer.api.management.commands.export_profiles import export_client
from profileviewer.sandbox.store import NewEvent, add_events, create_profile
from tests.insights.fakes import NOW
from tests.masking.roles import make_roles


@pytest.fixture
def customers(sandbox_url):
    for n in range(3):
        profile = create_profile(external_id=f"cust-{n}", email=f"c{n}@example.com")
        add_events(
            profile,
            [NewEvent("logged_in", NOW - timedelta(days=d)) for d in (1, 5, 30)],
        )


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("export_profiles", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def exit_code(*args) -> int:
    with pytest.raises(CommandError) as caught:
        run(*args)
    return caught.value.returncode


def test_a_csv_export_has_a_header_and_a_row_per_profile(customers, tmp_path):
    out, _ = run("--out", str(tmp_path / "p.csv"), "--format", "csv")
    rows = list(csv.DictReader((tmp_path / "p.csv").open()))
    assert sorted(r["externalId"] for r in rows) == ["cust-0", "cust-1", "cust-2"]
    assert "Exported 3 profiles and 0 events" in out


def test_since_keeps_only_later_events(customers, tmp_path):
    make_roles()
    target = str(tmp_path / "p.jsonl")
    events = ("--out", target, "--role", "support", "--with-events")
    out, _ = run(*events, "--since", "2025-06-01")
    assert "and 9 events" in out
    out, _ = run(*events, "--since", (NOW - timedelta(days=3)).isoformat(), "--force")
    assert "and 3 events" in out
    out, _ = run(*events, "--since", "2999-01-01", "--force")
    assert "and 0 events" in out


def test_an_unwritable_path_exits_2_and_leaves_nothing(customers, tmp_path):
    assert exit_code("--out", str(tmp_path / "missing-dir" / "p.jsonl")) == 2
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if os.geteuid() != 0:  # root ignores directory permissions
        assert exit_code("--out", str(locked / "p.jsonl")) == 2
    assert exit_code("--out", str(tmp_path)) == 2


def test_resume_without_a_checkpoint_exits_2(customers, tmp_path):
    assert exit_code("--out", str(tmp_path / "p.jsonl"), "--resume") == 2


def test_resume_with_other_options_exits_2(customers, tmp_path):
    target = tmp_path / "p.jsonl"
    (tmp_path / "p.jsonl.part").write_bytes(b"")
    (tmp_path / "p.jsonl.checkpoint").write_text(
        '{"scroll_id": null, "skip": 0, "count": 0, "offset": 0, "events": 0,'
        ' "options": {"format": "csv", "with_events": false, "since": null}, "version": 1}'
    )
    assert exit_code("--out", str(target), "--resume") == 2


@pytest.mark.parametrize("since", ["yesterday", "2026-13-45", "<script>"])
def test_a_bad_since_exits_2(customers, tmp_path, since):
    assert exit_code("--out", str(tmp_path / "p.jsonl"), "--with-events", "--since", since) == 2


def test_since_without_events_exits_2(customers, tmp_path):
    assert exit_code("--out", str(tmp_path / "p.jsonl"), "--since", "2026-01-01") == 2


def test_an_upstream_that_is_down_exits_1_and_keeps_the_checkpoint(sandbox_url, tmp_path, settings):
    settings.INTILERY_API_URL = "http://127.0.0.1:9/sandbox"
    settings.INTILERY_CALL_BUDGET = 0.3
    target = tmp_path / "p.jsonl"
    assert exit_code("--out", str(target)) == 1
    assert not target.exists()
    assert (tmp_path / "p.jsonl.checkpoint").exists()


def test_the_export_takes_only_its_configured_share_of_the_rate_budget(settings):
    settings.EXPORT_RATE_SHARE = 0.25
    assert export_client().config.rate_share == 0.25


def test_an_existing_output_is_replaced_only_when_the_new_export_is_complete(
    sandbox_url, tmp_path, settings
):
    target = tmp_path / "p.jsonl"
    target.write_text("previous complete export\n")
    settings.INTILERY_API_URL = "http://127.0.0.1:9/sandbox"
    settings.INTILERY_CALL_BUDGET = 0.3
    exit_code("--out", str(target), "--force")
    assert target.read_text() == "previous complete export\n"
