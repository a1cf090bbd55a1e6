"""gunicorn's configuration, for `make serve` (production, the container) and `make run`.

Sized for 2 cores by default (GUNICORN_WORKERS x GUNICORN_THREADS requests at once); see
README.md, Deploying. A missing or bad setting stops the server at start, one line each.
"""

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

from profileviewer.envconfig import Env, exit_naming_problems

_dotenv = Path(__file__).resolve().parent / ".env"
if _dotenv.exists():
    environ.Env.read_env(_dotenv, overwrite=False)
env = Env(collect=True)

wsgi_app = "profileviewer.wsgi:application"
bind = [env.str("GUNICORN_BIND", "0.0.0.0:8000")]
# Threads, not processes, wait on the upstream: each worker holds one copy of the app.
worker_class = "gthread"
workers = env.int("GUNICORN_WORKERS", 2, min=1, max=64)
threads = env.int("GUNICORN_THREADS", 16, min=1, max=256)
# One client call takes at most INTILERY_CALL_BUDGET (3 s); a worker silent for this long is
# stuck and replaced.
timeout = 30
# On SIGTERM (a deploy, `docker stop`) requests in flight get this long to finish.
graceful_timeout = 25
# Longer than a load balancer's usual 60 s idle timeout, so the balancer closes first and
# never sends a request down a connection gunicorn is closing.
keepalive = 75
# The longest ref the app accepts, percent-encoded, and a timeline's filters fit
# (tests/deploy/test_gunicorn_conf.py); gunicorn allows no more than 8190 unless unlimited.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# The app logs each request itself (one JSON line). gunicorn's own line, when turned on,
# names the path without its query string, where host tokens travel.
accesslog = "-" if env.bool("GUNICORN_ACCESS_LOG", False) else None
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
# No control socket: nothing uses it, and two servers on one host would share its path.
control_socket_disable = True

try:
    env.check()
except ImproperlyConfigured as error:
    exit_naming_problems(error)

# prometheus-client keeps each worker's metrics in files here, merged by /metrics. The
# variable must be set before a worker imports the app, hence here and not in a hook.
_own_metrics_dir = env.optional_str("PROMETHEUS_MULTIPROC_DIR") is None
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="pv-metrics-")


def on_starting(server: Any) -> None:
    """Before any worker: no metrics of a previous run's processes are left."""
    metrics_dir = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    metrics_dir.mkdir(parents=True, exist_ok=True)
    # prometheus-client's files only, should the setting name a folder holding others.
    for leftover in metrics_dir.glob("*.db"):
        leftover.unlink()


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    if _own_metrics_dir:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
