"""The export fetches side by side yet writes exactly what a one-at-a-time export writes, and it
waits for its own rate limiter's tokens rather than failing, while the Profiles API's own
refusals still end the run with the checkpoint kept."""

from __future__ import annotations

import json
import threading

import pytest
from django.test import override_settings

from profileviewer.api.management.commands.export_profiles import export_client
from profileviewer.client import RateLimitError
from profileviewer.client.client import reset_client_state
from profileviewer.export import ExportInterrupted, ExportOptions, UpstreamFailure, run_export
from profileviewer.export.runner import PatientClient, is_local_rate_limit
from profileviewer.sandbox.demo import seed
from profileviewer.sandbox.models import Event, Profile
from profileviewer.sandbox.store import create_profile
from tests.export.test_command import run

# Two listing pages (100 + 30), so concurrency runs across a page boundary.
DEMO = {"profiles": 130, "seed": 7, "large_profiles": 0}


def local_give_up(wait: float = 0.05) -> RateLimitError:
    """What the client raises when our own bucket stays empty for its whole call budget."""
    return RateLimitError("Too many", code="client_rate_limit", retry_after=wait)


class Refuses:
    """The real client, except that its first `times` calls raise `error` instead."""

    def __init__(self, client, error: Exception, times: int) -> None:
        self.client = client
        self.error = error
        self.left = times
        self.lock = threading.Lock()

    def _maybe_fail(self) -> None:
        with self.lock:
            self.left -= 1
            if self.left >= 0:
                raise self.error

    def list_profiles(self, *args, **kwargs):
        self._maybe_fail()
        return self.client.list_profiles(*args, **kwargs)

    def events(self, *args, **kwargs):
        self._maybe_fail()
        return self.client.events(*args, **kwargs)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_concurrent_export_equals_a_sequential_one_byte_for_byte(client, tmp_path, fmt):
    seed(**DEMO)
    sequential = tmp_path / f"one.{fmt}"
    concurrent = tmp_path / f"many.{fmt}"
    first = run_export(client, ExportOptions(sequential, fmt, with_events=True), workers=1)
    second = run_export(client, ExportOptions(concurrent, fmt, with_events=True), workers=8)
    assert (first.profiles, first.events) == (Profile.objects.count(), Event.objects.count())
    assert (second.profiles, second.events) == (first.profiles, first.events)
    assert concurrent.read_bytes() == sequential.read_bytes()


def test_an_export_under_a_slow_limiter_waits_for_tokens_and_completes(client, tmp_path):
    seed(profiles=25, seed=3, large_profiles=0)
    reference = tmp_path / "reference.jsonl"
    run_export(client, ExportOptions(reference, with_events=True), workers=1)

    # The command's own client under a slow limiter (20/s, burst 5, half kept for agents) and
    # the agents' 3 s call budget, shared by 16 threads (8 profile workers, 8 for extra pages).
    with override_settings(INTILERY_RATE_LIMIT=20, INTILERY_RATE_BURST=5, INTILERY_CALL_BUDGET=3):
        reset_client_state()
        limited = export_client()
    calls_before = limited.stats()["calls"]
    out = tmp_path / "slow.jsonl"
    result = run_export(limited, ExportOptions(out, with_events=True), workers=8)

    assert result.profiles == 25
    assert out.read_bytes() == reference.read_bytes()
    assert not (tmp_path / "slow.jsonl.checkpoint").exists()
    calls = limited.stats()["calls"] - calls_before
    assert calls <= 5 + 20 * result.seconds + 1  # the limiter really held it back


def test_local_limiter_give_ups_are_retried_and_leave_the_output_unchanged(client, tmp_path):
    seed(profiles=12, seed=5, large_profiles=0)
    reference = tmp_path / "reference.jsonl"
    run_export(client, ExportOptions(reference, with_events=True))
    out = tmp_path / "retried.jsonl"
    run_export(Refuses(client, local_give_up(), times=10), ExportOptions(out, with_events=True))
    assert out.read_bytes() == reference.read_bytes()


def test_an_upstream_429_still_ends_the_export_with_the_checkpoint_kept(client, tmp_path):
    seed(profiles=12, seed=5, large_profiles=0)
    upstream = RateLimitError("Too many", http_status=429, code="rate_limited", request_id="r-9")
    out = tmp_path / "refused.jsonl"
    with pytest.raises(UpstreamFailure, match="--resume"):
        run_export(Refuses(client, upstream, times=1), ExportOptions(out, with_events=True))
    assert not out.exists()
    checkpoint = json.loads((tmp_path / "refused.jsonl.checkpoint").read_text())
    assert checkpoint["count"] == 0
    resumed = run_export(client, ExportOptions(out, with_events=True), resume=True)
    assert resumed.profiles == 12


def test_only_our_own_bucket_give_up_counts_as_local():
    assert is_local_rate_limit(local_give_up())
    assert not is_local_rate_limit(RateLimitError(http_status=429, code="client_rate_limit"))
    assert not is_local_rate_limit(RateLimitError(http_status=429, code="rate_limited"))
    assert not is_local_rate_limit(RateLimitError(code="something_else"))


def test_ctrl_c_while_waiting_for_tokens_interrupts_the_export(client, tmp_path):
    seed(profiles=3, seed=5, large_profiles=0)
    stop = threading.Event()
    timer = threading.Timer(0.3, stop.set)
    timer.start()
    try:
        # Our bucket never has a token: without the stop the export would wait forever.
        never = Refuses(client, local_give_up(wait=30), times=10**9)
        with pytest.raises(ExportInterrupted, match="--resume"):
            run_export(never, ExportOptions(tmp_path / "x.jsonl", with_events=True), stop=stop)
    finally:
        timer.cancel()
    assert (tmp_path / "x.jsonl.checkpoint").exists()


def test_the_patient_client_passes_other_errors_through_untouched():
    class Broken:
        def events(self, *args, **kwargs):
            raise ValueError("not a rate limit")

    with pytest.raises(ValueError, match="not a rate limit"):
        PatientClient(Broken()).events()


def test_export_concurrency_setting_is_used_by_the_command(sandbox_url, tmp_path, monkeypatch):
    for n in range(3):
        create_profile(external_id=f"cust-{n}", email=f"c{n}@example.com")
    seen: list[int] = []
    import profileviewer.api.management.commands.export_profiles as command

    real = command.run_export

    def spy(*args, **kwargs):
        seen.append(kwargs["workers"])
        return real(*args, **kwargs)

    monkeypatch.setattr(command, "run_export", spy)
    with override_settings(EXPORT_CONCURRENCY=3):
        out, _ = run("--out", str(tmp_path / "p.jsonl"))
    assert seen == [3]
    assert "Exported 3 profiles" in out
