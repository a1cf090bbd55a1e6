"""gunicorn.conf.py: the shape of every server this app runs under (make run, make serve)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.deploy.conftest import ROOT, answer, clean_env, free_port, wait_until_serving

READ_CONFIG = (
    "from gunicorn.app.wsgiapp import WSGIApplication; import os, sys;"
    "sys.argv = ['gunicorn', '--config', 'gunicorn.conf.py'];"
    "c = WSGIApplication().cfg;"
    "print(c.worker_class_str, c.workers, c.threads, c.timeout, c.graceful_timeout,"
    " c.keepalive, c.limit_request_line, c.accesslog, c.bind, c.wsgi_app);"
    "print(os.environ['PROMETHEUS_MULTIPROC_DIR'])"
)


def read_config(**settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", READ_CONFIG],
        cwd=ROOT,
        env=clean_env(**settings),
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_defaults_are_sized_for_two_cores_with_bounded_limits_and_no_access_log(tmp_path):
    result = read_config(PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    shape = result.stdout.splitlines()[0]
    assert shape == (
        "gthread 2 16 30 25 75 8190 None ['0.0.0.0:8000'] profileviewer.wsgi:application"
    )


def test_workers_threads_bind_and_access_log_come_from_settings(tmp_path):
    result = read_config(
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
        GUNICORN_WORKERS="3",
        GUNICORN_THREADS="4",
        GUNICORN_BIND="127.0.0.1:9000",
        GUNICORN_ACCESS_LOG="true",
    )
    assert result.stdout.split()[1:3] == ["3", "4"], result.stderr
    assert "- ['127.0.0.1:9000']" in result.stdout


def test_bad_server_settings_are_named_one_line_each_without_a_traceback():
    result = read_config(GUNICORN_WORKERS="many", GUNICORN_THREADS="0")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    problems = [line.strip() for line in result.stderr.splitlines() if line.startswith("  ")]
    assert [p.split()[0] for p in problems] == ["GUNICORN_WORKERS", "GUNICORN_THREADS"]


def test_a_fresh_metrics_directory_is_made_unless_one_is_given(tmp_path):
    made = read_config().stdout.splitlines()[-1]
    assert Path(made).name.startswith("pv-metrics-")
    assert Path(made).is_dir() and not any(Path(made).iterdir())
    Path(made).rmdir()
    given = read_config(PROMETHEUS_MULTIPROC_DIR=str(tmp_path)).stdout.splitlines()[-1]
    assert given == str(tmp_path)
    blank = read_config(PROMETHEUS_MULTIPROC_DIR="").stdout.splitlines()[-1]
    assert Path(blank).name.startswith("pv-metrics-")  # empty, as in .env.example: unset
    Path(blank).rmdir()


@pytest.fixture
def sandbox_server(tmp_path):
    """gunicorn with this configuration serving the sandbox, as `make run` starts it."""
    port = free_port()
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    (metrics / "counter_12345.db").write_bytes(b"left by a previous run")
    (metrics / "notes.txt").write_text("not prometheus-client's")
    env = clean_env(
        SANDBOX="true",
        PORT=str(port),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="4",
        PROMETHEUS_MULTIPROC_DIR=str(metrics),
    )
    command = [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"]
    server = subprocess.Popen(
        [*command, "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_serving(port, server)
    yield base, server, metrics
    if server.poll() is None:
        server.kill()
        server.communicate()


def test_the_longest_ref_reaches_the_app_and_an_endless_request_line_does_not(sandbox_server):
    base, _, _ = sandbox_server
    # 512 four-byte characters, percent-encoded: the longest id the API accepts.
    longest = base + "/api/v1/profiles/userId:" + "%F0%9F%98%80" * 512
    status, body = answer(longest)
    assert (status, body["error"]["code"]) == (401, "authentication_error")  # the app's answer
    assert answer(base + "/api/v1/profiles/userId:" + "x" * 9000)[0] == 414  # gunicorn's bound


def test_sigterm_stops_gracefully_and_a_run_starts_without_old_metrics(sandbox_server):
    _, server, metrics = sandbox_server
    assert not (metrics / "counter_12345.db").exists()
    assert (metrics / "notes.txt").exists()
    started = time.monotonic()
    server.send_signal(signal.SIGTERM)
    output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    assert "Shutting down: Master" in output
    assert time.monotonic() - started < 25
    assert " GET " not in output  # no access log by default


def test_a_dead_worker_s_live_gauges_are_removed(tmp_path):
    code = (
        "import os, sys; sys.argv = ['gunicorn', '--config', 'gunicorn.conf.py'];"
        "from gunicorn.app.wsgiapp import WSGIApplication;"
        "cfg = WSGIApplication().cfg;"
        "from prometheus_client import Gauge;"
        "Gauge('pv_test', 'x', multiprocess_mode='livesum').set(1);"
        "d = os.environ['PROMETHEUS_MULTIPROC_DIR'];"
        "print(sorted(os.listdir(d)));"
        "worker = type('W', (), {'pid': os.getpid()});"
        "cfg.child_exit(None, worker);"
        "print(sorted(os.listdir(d)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean_env(PROMETHEUS_MULTIPROC_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=30,
    )
    before, after = result.stdout.splitlines()
    assert f"gauge_livesum_{os.getpid()}" not in before  # the child's pid, not ours
    assert "gauge_livesum_" in before, result.stderr
    assert after == "[]"
