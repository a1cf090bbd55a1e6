"""Starting the servers the benchmarks, the two-instance test and the screenshots measure.

One module for all of them: the sandbox upstream (the app itself with SANDBOX=true, on its
own temporary SQLite file, in its own gunicorn process, with a fixed injected latency) and
app instances under gunicorn pointed at it. Every server gets an environment built here from
the caller's, without any of the app's own variables, so a developer's settings never leak
into a measurement.

The upstream logs each request it served with the time it arrived (``RequestLog``), so a
caller can count what reached it per second or replay what a panel asked for.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

BASE_DIR = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
TOKEN = "sandbox-token"
TENANT = "/demo/demo/DEMO/v1"
UPSTREAM_HEADERS = {"content-type": "application/json", "auth-token": TOKEN}
# The app's own variables: none of the caller's reach a server started here.
_OWN_PREFIXES = (
    "SANDBOX_",
    "INTILERY_",
    "DJANGO_",
    "VIEWER_",
    "EXPORT_",
    "AGENT_",
    "API_",
    "PIPEDRIVE_",
    "ZENDESK_",
    "SESSION_",
    "CSRF_",
    "AUDIT_",
    "LOGIN_",
)
_OWN_NAMES = frozenset(
    {
        "SANDBOX",
        "DEBUG",
        "PORT",
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "LOG_LEVEL",
        "PRODUCT_IMAGE_HOSTS",
    }
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(**values: object) -> dict[str, str]:
    """The caller's environment without the app's variables, plus ``values``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_OWN_PREFIXES) and name not in _OWN_NAMES
    }
    env.update(
        DJANGO_SETTINGS_MODULE="profileviewer.settings",
        PYTHONPATH=str(BASE_DIR),
        LOG_LEVEL="WARNING",
        # whitenoise warns when collectstatic never ran; the measured paths serve no files.
        PYTHONWARNINGS="ignore::UserWarning",
    )
    env.update({name: str(value) for name, value in values.items()})
    return env


def sandbox_env(database: Path, port: int, **values: object) -> dict[str, str]:
    """A sandbox on its own SQLite file, its own rate limit off unless ``values`` say."""
    return server_env(
        SANDBOX="true",
        DEBUG="false",
        PORT=port,
        DATABASE_URL=f"sqlite:///{database}",
        **{"SANDBOX_RATE_LIMIT_ENABLED": "false", **values},
    )


def manage(env: dict[str, str], *args: str) -> str:
    """``manage.py`` with ``args``; its output, or SystemExit with its error."""
    result = subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), *args],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args[:1])} failed:\n{result.stderr[-3000:]}")
    return result.stdout


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str  # http://127.0.0.1:<port>

    @property
    def pid(self) -> int:
        return self.process.pid

    def worker_pids(self) -> list[int]:
        """The gunicorn workers' process ids (Linux /proc)."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # a quick shutdown: nothing to finish
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def gunicorn_args(
    port: int,
    *,
    workers: int,
    threads: int,
    app: str = "profileviewer.wsgi:application",
) -> list[str]:
    """The command line of a gunicorn serving ``app`` on loopback: `make serve`'s
    gunicorn.conf.py, with the bench's own address and pool sizes."""
    return [
        str(VENV_BIN / "gunicorn"),
        "--config",
        str(BASE_DIR / "gunicorn.conf.py"),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--log-level",
        "warning",
    ]


def serve(
    env: dict[str, str],
    port: int,
    *,
    workers: int,
    threads: int,
    ready_path: str = "/accounts/login/",
    extra_args: tuple[str, ...] = (),
    command: list[str] | None = None,
) -> Server:
    """Start a gunicorn (or ``command``) and wait until ``ready_path`` answers."""
    args = command or [*gunicorn_args(port, workers=workers, threads=threads), *extra_args]
    process = subprocess.Popen(args, env=env, cwd=BASE_DIR, start_new_session=True)
    server = Server(process, f"http://127.0.0.1:{port}")
    try:
        wait_until_up(server.url + ready_path, process)
    except BaseException:
        server.stop()
        raise
    return server


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server for {url} exited with {process.returncode}")
        try:
            requests.get(url, timeout=5, allow_redirects=False)
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


@dataclass(frozen=True)
class Arrival:
    at: float  # time.time() when the request reached the upstream
    method: str
    path: str  # with the query string, if any


class RequestLog:
    """The requests the upstream served, each with the time it arrived (gunicorn's access
    log: the record's time less the request's duration)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.position = 0

    def config(self) -> dict[str, object]:
        """The gunicorn logging configuration writing this log."""
        return {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"arrival": {"format": "%(created).6f %(message)s"}},
            "handlers": {
                "requests": {
                    "class": "logging.FileHandler",
                    "filename": str(self.path),
                    "formatter": "arrival",
                }
            },
            "loggers": {
                "gunicorn.access": {"handlers": ["requests"], "level": "INFO", "propagate": False}
            },
            "root": {"level": "WARNING", "handlers": []},
        }

    def _read(self, start: int) -> tuple[list[Arrival], int]:
        """The complete lines from byte ``start`` on, and where they end."""
        time.sleep(0.1)  # gunicorn writes the line once the response is sent
        if not self.path.exists():
            return [], start
        with self.path.open("rb") as log:
            log.seek(start)
            data = log.read()
        complete = data[: data.rfind(b"\n") + 1]
        arrivals = []
        for line in complete.decode().splitlines():
            logged, micros, method, target = line.split(" ", 3)
            arrivals.append(Arrival(float(logged) - int(micros) / 1e6, method, target.rstrip("?")))
        return arrivals, start + len(complete)

    def all(self) -> list[Arrival]:
        return self._read(0)[0]

    def skip(self) -> None:
        """Forget what was logged so far: ``new()`` returns only later requests."""
        self.position = self._read(self.position)[1]

    def new(self) -> list[Arrival]:
        """The requests logged since the last ``skip()`` or ``new()``."""
        arrivals, self.position = self._read(self.position)
        return arrivals


def busiest_second(arrivals: list[Arrival]) -> tuple[int, int]:
    """(requests, the second) of the calendar second with most arrivals; (0, 0) for none."""
    if not arrivals:
        return 0, 0
    second, count = Counter(int(a.at) for a in arrivals).most_common(1)[0]
    return count, second


@dataclass
class Upstream:
    server: Server
    log: RequestLog
    database: Path
    env: dict[str, str] = field(repr=False)

    @property
    def api_url(self) -> str:
        """What INTILERY_API_URL names."""
        return self.server.url + "/sandbox"

    def profiles(self, size: int) -> list[dict[str, object]]:
        """The first ``size`` demo profiles' traits (one listing request)."""
        url = f"{self.api_url}{TENANT}/profiles"
        answer = requests.get(url, params={"size": size}, headers=UPSTREAM_HEADERS, timeout=30)
        answer.raise_for_status()
        return list(answer.json()["data"])

    def stop(self) -> None:
        self.server.stop()


def start_upstream(
    workdir: Path,
    *,
    latency_ms: float,
    profiles: int = 20,
    database: Path | None = None,
    workers: int = 1,
    threads: int = 32,
    demo_agent: bool = False,
    **values: object,
) -> Upstream:
    """The sandbox in its own gunicorn, every call ``latency_ms`` late (SANDBOX_FAULT_LATENCY_MS).

    ``database``: an already seeded SQLite file; else one in ``workdir`` seeded with
    ``profiles`` demo profiles. ``demo_agent``: also the demo / demo sign-in, for a bench that
    serves the viewer from the same file. ``values``: more of the sandbox's settings.
    """
    port = free_port()
    if database is None:
        database = workdir / "upstream.sqlite3"
        seed(database, profiles)
    env = sandbox_env(database, port, SANDBOX_FAULT_LATENCY_MS=latency_ms, **values)
    if demo_agent:
        manage(env, "ensure_demo_agent")
    log = RequestLog(workdir / f"upstream-{port}.log")
    log_config = workdir / f"upstream-{port}-logging.json"
    log_config.write_text(json.dumps(log.config()))
    server = serve(
        env,
        port,
        workers=workers,
        threads=threads,
        ready_path="/sandbox/",
        extra_args=(
            "--log-config-json",
            str(log_config),
            "--access-logformat",
            "%(D)s %(m)s %(U)s?%(q)s",
        ),
    )
    log.skip()  # the start-up probe
    return Upstream(server, log, database, env)


def seed(database: Path, profiles: int, *extra: str) -> None:
    """A SQLite file migrated and seeded with ``profiles`` demo profiles (seed 42)."""
    env = sandbox_env(database, free_port())
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(
        env,
        "seed_demo",
        "--profiles",
        str(profiles),
        "--seed",
        "42",
        "--large-profiles",
        "0",
        *extra,
    )


def app_env(
    upstream: Upstream, port: int, *, database_url: str, **values: object
) -> dict[str, str]:
    """An app instance in the production shape (SANDBOX and DEBUG off) calling ``upstream``.

    Plain HTTP on loopback, so no redirect to HTTPS and no Secure cookies; the rest as in
    production.
    """
    return server_env(
        SANDBOX="false",
        DEBUG="false",
        PORT=port,
        SECRET_KEY="bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        INTILERY_API_URL=upstream.api_url,
        INTILERY_CLIENT_ID="demo",
        INTILERY_ACCOUNT_ID="demo",
        INTILERY_BRAND_ID="DEMO",
        INTILERY_API_TOKEN=TOKEN,
        SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS=0,
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        **values,
    )


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


# --- A deployment: app instances on one PostgreSQL database, signed-in agents -------------

AGENT_PASSWORD = "correct horse battery staple"  # throwaway logins of a throwaway database


def postgres_server() -> str:
    """The PostgreSQL server to create throwaway databases on: DATABASE_URL's when it names
    one, else the local one."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"
    return os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def postgres_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{postgres_server()}/postgres", autocommit=True) as connection:
        connection.execute(sql)  # type: ignore[arg-type]


def create_agents(env: dict[str, str], count: int) -> list[str]:
    """``count`` agent logins in the app's database (one password hash: hashing is slow)."""
    manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.auth.hashers import make_password\n"
        "User = get_user_model()\n"
        f"password = make_password({AGENT_PASSWORD!r})\n"
        "User.objects.bulk_create(\n"
        f"    User(username=f'agent{{i:02}}', password=password) for i in range({count})\n"
        ")\n",
    )
    return [f"agent{i:02}" for i in range(count)]


def sign_in(instance: Server, username: str) -> requests.Session:
    """An agent signed in through the sign-in form (no page rendered: its CSRF cookie is the
    agent's own, as a browser would hold it)."""
    session = requests.Session()
    csrf = secrets.token_hex(16)
    session.cookies.set("csrftoken", csrf, domain="127.0.0.1")
    answer = session.post(
        instance.url + "/accounts/login/",
        data={"username": username, "password": AGENT_PASSWORD, "csrfmiddlewaretoken": csrf},
        allow_redirects=False,
        timeout=120,
    )
    if answer.status_code != 302 or "sessionid" not in session.cookies:
        raise SystemExit(f"{username} could not sign in: HTTP {answer.status_code}")
    return session


@dataclass
class Deployment:
    """App instances sharing one PostgreSQL database and one Redis, and their agents."""

    upstream: Upstream
    instances: list[Server]
    agents: list[requests.Session]
    database_url: str


@contextlib.contextmanager
def deployment(
    upstream: Upstream,
    *,
    instances: int,
    agents: int,
    redis_url: str,
    workers: int = 2,
    threads: int = 8,
    **values: object,
) -> Iterator[Deployment]:
    """``instances`` app instances on a new PostgreSQL database and ``redis_url`` (emptied
    first and last), with ``agents`` agents signed in round the instances; all gone after."""
    import redis

    database = f"pv_bench_{uuid.uuid4().hex[:8]}"
    database_url = f"{postgres_server()}/{database}"
    redis.Redis.from_url(redis_url).flushdb()
    postgres_admin(f"CREATE DATABASE {database}")
    started: list[Server] = []
    try:
        ports = [free_port() for _ in range(instances)]
        envs = [
            app_env(
                upstream,
                port,
                database_url=database_url,
                REDIS_URL=redis_url,
                **values,
            )
            for port in ports
        ]
        manage(envs[0], "migrate", "--noinput", "-v", "0")
        names = create_agents(envs[0], agents)
        for env, port in zip(envs, ports, strict=True):
            # An anonymous panel request is sent to sign in: an answer that renders nothing.
            started.append(
                serve(env, port, workers=workers, threads=threads, ready_path="/profile/traits")
            )
        with ThreadPoolExecutor(max_workers=agents) as pool:
            sessions = list(
                pool.map(lambda i: sign_in(started[i % instances], names[i]), range(agents))
            )
        yield Deployment(upstream, started, sessions, database_url)
    finally:
        for server in started:
            server.stop()
        postgres_admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        redis.Redis.from_url(redis_url).flushdb()


# --- Agents at work: the parts of profile pages, from many agents at once -----------------

# What a profile page asks for once it is shown: its header and its six panels (htmx).
PAGE_PARTS = ("header", "summary", "traits", "meta", "activity", "viewed-not-bought", "timeline")
# The panel's "Busy. The customer database is busy, retrying in N s." (viewer/errors.py).
BUSY = "rate_limited"
_ALERT = re.compile(r'class="alert alert-(\w+)"')


def outcome(answer: requests.Response) -> str:
    """ "ok", "busy" (the panel's own retrying state), or what else the agent saw."""
    if answer.status_code != 200:
        return f"HTTP {answer.status_code}"
    kinds = set(_ALERT.findall(answer.text))
    if not kinds:
        return "ok"
    if kinds == {BUSY} and "retrying in" in answer.text:
        return "busy"
    return "error: " + ",".join(sorted(kinds))


def page_part(agent: requests.Session, instance: Server, part: str, ref: str) -> tuple[str, float]:
    """One part of a profile page, as htmx asks for it: its outcome and its seconds."""
    started = time.perf_counter()
    answer = agent.get(
        f"{instance.url}/profile/{part}",
        params={"ref": ref},
        headers={"HX-Request": "true"},
        timeout=30,
    )
    return outcome(answer), time.perf_counter() - started


@dataclass
class Burst:
    outcomes: Counter[str]
    latencies: list[float]  # seconds, each request's
    seconds: float
    arrivals: list[Arrival]  # what reached the upstream meanwhile


def burst(deployed: Deployment, refs: list[str], *, total: int, clients: int) -> Burst:
    """``total`` page parts from ``clients`` browser tabs at once (each agent's in turn), spread
    over the instances: each tab goes page after page (the header and six panels of one
    customer, then the next), and the tabs' customers overlap, as a team's do."""
    per_client = total // clients
    results: list[tuple[str, float]] = []

    def work(index: int) -> None:
        tab = requests.Session()
        tab.cookies.update(deployed.agents[index % len(deployed.agents)].cookies)
        for request in range(per_client):
            page, part = divmod(request, len(PAGE_PARTS))
            ref = refs[(index * 3 + page) % len(refs)]
            instance = deployed.instances[(index + request) % len(deployed.instances)]
            results.append(page_part(tab, instance, PAGE_PARTS[part], ref))

    deployed.upstream.log.skip()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(work, range(clients)))
    seconds = time.perf_counter() - started
    return Burst(
        Counter(seen for seen, _ in results),
        [took for _, took in results],
        seconds,
        deployed.upstream.log.new(),
    )
