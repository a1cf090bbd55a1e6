"""Where a cached panel request's time goes, measured in process (docs/performance.md,
"Cached panel cost (December)").

Starts the sandbox upstream (its own gunicorn, 50 ms injected latency) and runs the app in
this process in the production shape (SANDBOX and DEBUG off, PostgreSQL, Redis), an agent
signed in without a role (everything masked), and asks Django's test client for one panel of
Joe Bloggs, its answers cached, again and again:

    .venv/bin/python tests/profiling/cached_panel.py                 # p50 of 400 requests
    .venv/bin/python tests/profiling/cached_panel.py --profile       # and cProfile's top lines
    .venv/bin/python tests/profiling/cached_panel.py --ablate meta-once

``--ablate`` alternates blocks of requests with one change on and off (the code before it
put back by a patch), so the machine's drift falls on both alike.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.servers import (
    app_env,
    free_port,
    postgres_admin,
    postgres_server,
    start_upstream,
)

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
JOE = "userId:qrc-117322"


def _permissions_as_before(user: Any) -> Any:
    """masking.for_user before it read its permissions in one query (and kept them)."""
    from profileviewer.masking import policy

    if getattr(user, "is_superuser", False):
        return policy.FULL
    prefix = f"{policy.APP}."
    perms = user.get_all_permissions()
    return policy._from_codenames({p.removeprefix(prefix) for p in perms if p.startswith(prefix)})


@contextlib.contextmanager
def _patched(target: str, replacement: object) -> Iterator[None]:
    with mock.patch(target, replacement):
        yield


def _full(agent: Any) -> Any:
    from profileviewer.masking import FULL

    return FULL


@contextlib.contextmanager
def _without_trust_work() -> Iterator[None]:
    with (
        mock.patch("profileviewer.agents.limits.admit", lambda request, agent: 0.0),
        mock.patch("profileviewer.masking.for_agent", _full),
        mock.patch("profileviewer.audit.trail.record_view", lambda request, response: None),
    ):
        yield


def _default_cache() -> Any:
    """The shared cache (Redis here), where the policy was kept before."""
    from django.core.cache import caches

    return caches["default"]


def _settings(**values: object) -> contextlib.AbstractContextManager[None]:
    from django.test import override_settings

    return override_settings(**values)


@contextlib.contextmanager
def _without_fragments() -> Iterator[None]:
    with (
        mock.patch("profileviewer.viewer.fragments.kept", lambda request: None),
        mock.patch("profileviewer.viewer.fragments.keep", lambda request, response: None),
    ):
        yield


# Each change, switched off: the code before it.
ABLATIONS: dict[str, Callable[[], contextlib.AbstractContextManager[None]]] = {
    "policy": lambda: _patched("profileviewer.masking.policy.for_user", _permissions_as_before),
    "fragments": _without_fragments,
    "policy-cache": lambda: _settings(MASKING_POLICY_CACHE_SECONDS=0),
    "meta-once": lambda: _patched(
        "profileviewer.viewer.services.meta_read_once", contextlib.nullcontext
    ),
    # Not speed changes: what masking alone costs, and what all of issue 21's per-request
    # work (the agent's limit, masking, the audit record) costs, each left out.
    "masking": lambda: _patched("profileviewer.masking.for_agent", _full),
    "trust": _without_trust_work,
    "policy-in-process": lambda: _patched(
        "profileviewer.masking.policy.caches", {"process": _default_cache()}
    ),
}


def p50_ms(seconds: list[float]) -> float:
    return sorted(seconds)[len(seconds) // 2] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--panel", default="traits")
    parser.add_argument("-n", type=int, default=400, help="requests measured")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--lines", type=int, default=40, help="of the profile")
    parser.add_argument("--dump", help="write the profile's stats to this file (pstats)")
    parser.add_argument("--ablate", choices=sorted(ABLATIONS))
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="pv-profile-"))
    upstream = start_upstream(workdir, latency_ms=50, profiles=13)
    database = f"pv_profile_{uuid.uuid4().hex[:8]}"
    postgres_admin(f"CREATE DATABASE {database}")
    try:
        env = app_env(
            upstream,
            free_port(),
            database_url=f"{postgres_server()}/{database}",
            REDIS_URL=REDIS_URL,
            INTILERY_CACHE_TTL=600,
            AGENT_RATE=1_000_000,
            AGENT_BURST=1_000_000,
        )
        os.environ.update(env)
        measure(args)
    finally:
        from django.db import connections

        from profileviewer.audit import writer

        writer.shutdown()  # its last records written before their database goes
        connections.close_all()
        postgres_admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        upstream.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def measure(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", "--noinput", verbosity=0)
    cache.clear()
    agent = Client(HTTP_HOST="127.0.0.1")
    agent.force_login(get_user_model().objects.create_user("agent"))

    def ask() -> float:
        started = time.perf_counter()
        answer = agent.get(f"/profile/{args.panel}", {"ref": JOE}, HTTP_HX_REQUEST="true")
        took = time.perf_counter() - started
        assert answer.status_code == 200 and b"alert-" not in answer.content, answer.content
        return took

    for _ in range(30):  # the answers cached, the connections open
        ask()
    if args.ablate:
        times: dict[str, list[float]] = {"on": [], "off": []}
        for block in range(20):
            variant = "off" if block % 2 else "on"
            switch = ABLATIONS[args.ablate] if variant == "off" else contextlib.nullcontext
            with switch():
                times[variant] += [ask() for _ in range(args.n // 20)]
        for variant, seconds in times.items():
            print(f"{args.panel} with {args.ablate} {variant}: p50 {p50_ms(seconds):.2f} ms")
        return
    profiler = cProfile.Profile() if args.profile else None
    with profiler or contextlib.nullcontext():
        seconds = [ask() for _ in range(args.n)]
    print(f"{args.panel}: {args.n} cached requests, p50 {p50_ms(seconds):.2f} ms")
    if profiler:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(args.lines)
        if args.dump:
            stats.dump_stats(args.dump)


if __name__ == "__main__":
    main()
