"""export_profiles keeps what it was not asked to replace, stops cleanly on Ctrl-C, and says
where it looked when the Profiles API cannot be reached."""

import io
import os
import signal

import pytest
from django.core.management import CommandError, call_command

from profileviewer.export.progress import ProgressBar
from profileviewer.sandbox.store import create_profile


@pytest.fixture
def customers(sandbox_url):
    for n in range(3):
        create_profile(external_id=f"cust-{n}", email=f"c{n}@example.com")


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("export_profiles", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failure(*args) -> CommandError:
    with pytest.raises(CommandError) as caught:
        run(*args)
    return caught.value


def test_an_existing_file_is_not_overwritten_without_force(customers, tmp_path):
    target = tmp_path / "p.jsonl"
    target.write_text("last week's export\n")
    refused = failure("--out", str(target))
    assert refused.returncode == 2
    assert "--force" in str(refused)
    assert target.read_text() == "last week's export\n"
    assert not (tmp_path / "p.jsonl.part").exists()


def test_force_replaces_an_existing_file(customers, tmp_path):
    target = tmp_path / "p.jsonl"
    target.write_text("last week's export\n")
    out, _ = run("--out", str(target), "--force")
    assert "Exported 3 profiles" in out
    assert "cust-0" in target.read_text()


def test_ctrl_c_says_stopping_and_the_export_resumes_where_it_stopped(
    customers, tmp_path, monkeypatch
):
    draw = ProgressBar.__call__

    def press_ctrl_c_after_the_first_profile(self, count, events):
        draw(self, count, events)
        if count == 1:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(ProgressBar, "__call__", press_ctrl_c_after_the_first_profile)
    target = tmp_path / "p.jsonl"
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("export_profiles", "--out", str(target), stdout=io.StringIO(), stderr=err)
    assert caught.value.returncode == 130
    assert "stopping…" in err.getvalue()
    assert not target.exists()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

    monkeypatch.setattr(ProgressBar, "__call__", draw)
    out, _ = run("--out", str(target), "--resume")
    assert "resumed at 1" in out
    lines = target.read_text().splitlines()
    assert sorted(line for line in lines if "cust-" in line) == sorted(set(lines))
    assert sum("cust-" in line for line in lines) == 3


def test_a_connection_error_names_the_url_tried_and_never_the_token(
    sandbox_url, tmp_path, settings
):
    settings.INTILERY_API_URL = "http://pv-user:pv-password@127.0.0.1:9/sandbox"
    settings.INTILERY_API_TOKEN = "live-secret-token-value"
    settings.INTILERY_CALL_BUDGET = 0.3
    error = failure("--out", str(tmp_path / "p.jsonl"))
    assert error.returncode == 1
    assert "Could not connect to the Profiles API." in str(error)
    assert "http://127.0.0.1:9/sandbox" in str(error)
    for secret in ("live-secret-token-value", "pv-password", "pv-user"):
        assert secret not in str(error)
