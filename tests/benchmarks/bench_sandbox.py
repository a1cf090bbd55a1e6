"""`make bench-sandbox`: events-page latency of the sandbox and demo seeding time.

Prints, for SQLite (a temporary file) and PostgreSQL (a database of its own, `pv_bench`,
created and dropped here):
- median and p99 latency of an events page (size 100) of a profile with 100,000 events, in
  process (Django's test Client through the whole middleware stack, the sandbox's rate
  limit off), without filters and with `include`, `exclude`, `start`/`end`, `sort=asc`
  and a deep `from`; targets: p50 < 15 ms;
- the time to seed 10,000 demo profiles (about a million events); target < 90 s.

Each measurement runs in a child process of its own, because Django reads its settings
(the database among them) once per process. Options: `--only sqlite|postgresql`,
`--skip-seed`, `--skip-events`, `--requests N`, `--seed-profiles N`, `--seed-postgresql`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.results import Results

RESULTS = Results("sandbox")
BASE_DIR = Path(__file__).resolve().parents[2]
PG_SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
PG_DATABASE = "pv_bench"
BIG_PROFILE = "bench-100k"
BIG_EVENTS = 100_000
HEADERS = {"content-type": "application/json", "auth-token": "sandbox-token"}
TENANT = "/sandbox/demo/demo/DEMO/v1/profiles"

# (label, query string): one events page of size 100 each.
SCENARIOS: tuple[tuple[str, str], ...] = (
    ("no filter", "size=100"),
    ("include=product_viewed", "size=100&include=product_viewed"),
    ("exclude=page_viewed,email_sent", "size=100&exclude=page_viewed,email_sent"),
    ("start/end (90 days)", "size=100&start={start}&end={end}"),
    ("sort=asc", "size=100&sort=asc"),
    ("from=9900 (deep)", "size=100&from=9900"),
    ("from=5000 + include + asc", "size=100&from=5000&include=page_viewed&sort=asc"),
)


# --- children: run with Django set up on one database -------------------------------------


def _setup_django(database_url: str) -> None:
    os.environ.update(
        {
            "SANDBOX": "true",
            "DATABASE_URL": database_url,
            "SANDBOX_RATE_LIMIT_ENABLED": "false",
            "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "profileviewer.settings",
        }
    )
    for name in list(os.environ):
        if name.startswith("SANDBOX_FAULT_"):
            del os.environ[name]
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, skip_checks=True)


def _write_big_profile() -> float:
    """A profile with exactly BIG_EVENTS events, generated like the demo's; returns seconds."""
    from django.db import connection
    from django.utils import timezone

    from profileviewer.sandbox.demo import catalogue as cat
    from profileviewer.sandbox.demo.people import Person
    from profileviewer.sandbox.demo.seeding import build_chunk, write_chunk

    started = time.perf_counter()
    person = Person(
        profile_id=uuid.UUID("00000000-0000-4000-8000-000000100000"),
        external_id=BIG_PROFILE,
        email="bench.100k@example.com",
        first_name="Bench",
        last_name="Mark",
        origin="registered",
        created_by_type="api",
        created_age_ms=cat.HISTORY_MS - cat.MS_PER_DAY,
        events=BIG_EVENTS,
        subscribed={"email": True, "sms": True},
        phone="+447700900999",
        custom_traits={"plan": "pro", "city": "Leeds", "country": "GB"},
        open_rate=0.5,
        click_rate=0.3,
        buy_rate=0.1,
        journey_seed=100_000,
    )
    write_chunk(build_chunk([person], timezone.now(), connection.vendor))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def child_events(database_url: str, requests: int) -> dict[str, Any]:
    _setup_django(database_url)
    from django.test import Client
    from django.utils import timezone

    from profileviewer.sandbox.demo import seed

    demo = seed(300, 42)
    big_seconds = _write_big_profile()
    client = Client(headers=HEADERS)
    end = timezone.now()
    start = end - timedelta(days=90)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    url = f"{TENANT}/userId:{BIG_PROFILE}/events"
    results = []
    for label, query in SCENARIOS:
        query = query.format(start=start.strftime(fmt), end=end.strftime(fmt))
        samples: list[float] = []
        cpu_samples: list[float] = []
        for attempt in range(requests + 20):
            began, began_cpu = time.perf_counter(), time.process_time()
            response = client.get(f"{url}?{query}")
            elapsed = (time.perf_counter() - began) * 1000
            cpu = (time.process_time() - began_cpu) * 1000
            if response.status_code != 200:
                raise SystemExit(
                    f"{label}: HTTP {response.status_code}: {response.content[:300]!r}"
                )
            if attempt >= 20:  # the first ones warm caches and connections
                samples.append(elapsed)
                cpu_samples.append(cpu)
        count = len(json.loads(response.content)["data"])
        results.append(
            {
                "scenario": label,
                "p50": statistics.median(samples),
                "p99": _percentile(samples, 0.99),
                # This process's CPU time: what a request costs whatever else the machine
                # runs (on PostgreSQL the server's own work is not in it).
                "cpu50": statistics.median(cpu_samples),
                "events": count,
                "samples": samples,
            }
        )
    # The physical reference: the newest 100 of the same events, read by the ORM (no HTTP,
    # no middleware, no serialising).
    from profileviewer.sandbox.models import Event, Profile

    profile = Profile.objects.get(external_id=BIG_PROFILE)
    newest = Event.objects.filter(profile=profile).order_by("-event_time", "-id")
    direct: list[float] = []
    for attempt in range(requests + 20):
        began = time.perf_counter()
        list(newest.values_list("raw_data", flat=True)[:100])
        if attempt >= 20:
            direct.append((time.perf_counter() - began) * 1000)
    return {
        "orm_p50": statistics.median(direct),
        "demo_profiles": demo.profiles,
        "demo_events": demo.events,
        "demo_seconds": demo.seconds,
        "big_seconds": big_seconds,
        "scenarios": results,
    }


def child_seed(database_url: str, profiles: int) -> dict[str, Any]:
    _setup_django(database_url)
    from profileviewer.sandbox.demo import seed

    result = seed(profiles, 42)
    cpu = sum(
        usage.ru_utime + usage.ru_stime
        for usage in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )
    return {
        "profiles": result.profiles,
        "events": result.events,
        "seconds": result.seconds,
        "cpu_seconds": cpu,
    }


# --- the parent: databases, children, the table --------------------------------------------


def _postgres(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(sql)


def _run_child(kind: str, backend: str, arg: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pv-bench-") as tmp:
        if backend == "sqlite":
            database_url = f"sqlite:///{tmp}/bench.sqlite3"
        else:
            _postgres(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
            _postgres(f"CREATE DATABASE {PG_DATABASE}")
            database_url = f"{PG_SERVER}/{PG_DATABASE}"
        try:
            output = subprocess.run(
                [sys.executable, __file__, "--child", kind, database_url, str(arg)],
                cwd=BASE_DIR,
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            if backend == "postgresql":
                _postgres(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
    if output.returncode != 0:
        sys.stderr.write(output.stderr[-3000:])
        raise SystemExit(f"the {kind} benchmark on {backend} failed")
    return json.loads(output.stdout.strip().splitlines()[-1])


def _events_table(backend: str, result: dict[str, Any]) -> None:
    print(
        f"\nEvents page, size 100, profile with {BIG_EVENTS:,} events, {backend} "
        f"(+ demo set: {result['demo_profiles']} profiles, {result['demo_events']:,} events)"
    )
    print(
        f"  {'scenario':<34} {'p50 ms':>8} {'p99 ms':>8} {'CPU p50':>8} {'events':>7}"
        "  target p50 < 15 ms"
    )
    print(f"  (the newest 100 events read by the ORM alone: p50 {result['orm_p50']:.2f} ms)")
    for row in result["scenarios"]:
        RESULTS.add(
            f"{backend}: events page, {row['scenario']}, p50",
            row["p50"],
            "ms",
            "the newest 100 events read by the ORM, p50",
            result["orm_p50"],
            "value < 15",
        )
    RESULTS.samples[f"{backend}: events page, size 100"] = [
        round(ms, 3) for row in result["scenarios"] for ms in row["samples"]
    ]
    for row in result["scenarios"]:
        verdict = "ok" if row["p50"] < 15 else "SLOW"
        print(
            f"  {row['scenario']:<34} {row['p50']:>8.2f} {row['p99']:>8.2f} "
            f"{row['cpu50']:>8.2f} {row['events']:>7}  {verdict}"
        )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, database_url, arg = sys.argv[2], sys.argv[3], int(sys.argv[4])
        if kind == "events":
            result = child_events(database_url, arg)
        else:
            result = child_seed(database_url, arg)
        print(json.dumps(result))
        return

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--skip-events", action="store_true")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seed-profiles", type=int, default=10_000)
    parser.add_argument("--seed-postgresql", action="store_true", help="also time seeding on PG")
    parser.add_argument("--json", help="write the figures for the report here")
    options = parser.parse_args()
    backends = [options.only] if options.only else ["sqlite", "postgresql"]

    load = os.getloadavg()
    # "CPU" figures are CPU time, which a busy machine inflates far less than wall time.
    print(
        f"Sandbox benchmark: {os.cpu_count()} CPUs, load average {load[0]:.2f} at start "
        "(other work on the machine skews every figure)"
    )
    for backend in [] if options.skip_events else backends:
        started = time.perf_counter()
        result = _run_child("events", backend, options.requests)
        _events_table(backend, result)
        print(
            f"  (set-up: demo set {result['demo_seconds']:.1f} s, 100k-event profile "
            f"{result['big_seconds']:.1f} s; {options.requests} timed requests per scenario; "
            f"{time.perf_counter() - started:.0f} s in all)"
        )
    if not options.skip_seed:
        seed_table(options)
    RESULTS.write(options.json)


def seed_table(options: argparse.Namespace) -> None:
    seed_backends = ["sqlite"] + (["postgresql"] if options.seed_postgresql else [])
    if options.only:
        seed_backends = [b for b in seed_backends if b == options.only] or [options.only]
    print(f"\nSeeding {options.seed_profiles:,} demo profiles (target: a million events < 90 s)")
    for backend in seed_backends:
        result = _run_child("seed", backend, options.seed_profiles)
        rate = result["events"] / result["seconds"]
        verdict = "ok" if result["seconds"] < 90 else "SLOW"
        RESULTS.add(
            f"{backend}: seeding, events written per second",
            rate,
            "events/s",
            "a million events in 90 s",
            1_000_000 / 90,
            "ratio >= 1",
        )
        print(
            f"  {backend:<11} {result['profiles']:,} profiles, {result['events']:,} events in "
            f"{result['seconds']:.1f} s ({rate:,.0f} events/s)  {verdict}"
        )
        cpu = result["cpu_seconds"]
        print(
            f"  {'':<11} CPU {cpu:.0f} s over all its processes, "
            f"so about {cpu / (os.cpu_count() or 1):.0f} s on {os.cpu_count()} idle CPUs"
        )


if __name__ == "__main__":
    main()
