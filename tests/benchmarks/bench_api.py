"""`make bench-api`: the personalization API's latency and the export's throughput.

Everything runs on loopback against temporary SQLite files seeded with the demo data
(`seed_demo --profiles 300`, 2 large profiles; `--export-profiles 2000` for the export):

1. Latency. The sandbox runs as its own gunicorn process (rate limit off, 20 ms injected
   latency, like a nearby real upstream) and the app as another, pointed at it. For each
   endpoint: p50/p99 cached (the client's cache warm) and uncached (`Cache-Control:
   no-cache`), against the direct upstream calls that endpoint needs, made with a pooled
   `requests.Session` the same way (sequentially, or concurrently for the summary, which
   fetches its five reads side by side). Ratio = API p50 / direct p50.
2. Export throughput. The sandbox is one gunicorn process (32 threads; its database
   connections persist, DATABASE_CONN_MAX_AGE): its PAPI-7 token bucket lives in the
   process, so that is the only shape in which it enforces 100/s. The export runs in this
   process over the 2,000-profile set (long enough that the free burst is a small part of
   the run), first with no rate limit anywhere (what this machine's sandbox and the export
   can do at all), then with the default client settings against a sandbox with its
   default limit (100/s, burst 500) and `EXPORT_RATE_SHARE` (0.5). For each: profiles/s
   and upstream requests/s against what the rate limit allows over the same time (the
   free burst plus the rate), and against the lower of that and the unlimited rate
   (target >= 90 %), and both processes' CPU per request. Then, on the 300-profile set,
   the client limited to 30/s, and a 20/s limiter with burst 5: the export waits for its
   tokens instead of failing.

Bounded: `--requests N` per endpoint and mode (default 60); the export phase takes about
two minutes on two idle cores.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.results import Results
from tests.benchmarks.servers import (
    TOKEN,
    Server,
    free_port,
    manage,
    sandbox_env,
    serve,
)

RESULTS = Results("api")
LATENCY_MS = 20
TENANT = "/demo/demo/DEMO/v1"
# The export phase's sandbox: one process, like the real API's single bucket per key.
SANDBOX_WORKERS = 1
SANDBOX_THREADS = 32
REFS = ["userId:qrc-117322", "email:sam.taylor@example.com", "userId:new-signup-1"]


def serve_sandbox(env: dict[str, str], port: int, *, workers: int = 2, threads: int = 16) -> Server:
    return serve(env, port, workers=workers, threads=threads, ready_path="/api/v1/openapi.json")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


def timed(call: Callable[[], None], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def api_caller(
    api: Any, base: str, suffix: str, headers: dict[str, str], count: int
) -> Callable[[], None]:
    refs = iter(REFS * (count * 2))

    def call() -> None:
        kind, _, value = next(refs).partition(":")
        path = f"/api/v1/profiles/{kind}:{quote(value, safe='')}{suffix}"
        response = api.get(base + path, headers=headers, timeout=10)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.text[:200]}")
        if "Cache-Status" in response.headers:  # a no-cache request answered from the cache
            raise SystemExit(f"{path}: {response.headers['Cache-Status']}")

    return call


def latency_phase(workdir: Path, database: Path, count: int) -> None:
    import requests

    sandbox_port, app_port = free_port(), free_port()
    sandbox = serve_sandbox(
        sandbox_env(database, sandbox_port, SANDBOX_FAULT_LATENCY_MS=LATENCY_MS), sandbox_port
    )
    app_env = sandbox_env(
        database,
        app_port,
        INTILERY_API_URL=f"http://127.0.0.1:{sandbox_port}/sandbox",
        INTILERY_RATE_LIMIT="100000",
        INTILERY_RATE_BURST="100000",
        # Every "uncached" request must really skip the cache (the per-key allowance for
        # Cache-Control: no-cache is 1/s by default).
        API_FRESH_RATE="100000",
        API_FRESH_BURST="100000",
    )
    app = serve_sandbox(app_env, app_port)
    try:
        key = manage(
            app_env, "create_service_key", "bench", "--rate-limit", "100000", "--burst", "100000"
        ).strip()
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {key}"
        upstream = requests.Session()
        # Uncompressed, as the app's client asks an upstream on loopback (transport.py).
        upstream.headers.update(
            {"auth-token": TOKEN, "content-type": "application/json", "accept-encoding": "identity"}
        )
        up = f"http://127.0.0.1:{sandbox_port}/sandbox{TENANT}/profiles"
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=5)

        def upstream_get(ref: str, endpoint: str, params: dict[str, str] | None = None) -> None:
            kind, _, value = ref.partition(":")
            url = f"{up}/{kind}:{quote(value, safe='')}/{endpoint}"
            response = upstream.get(url, params=params, timeout=10)
            response.raise_for_status()

        def direct_profile(ref: str) -> None:
            upstream_get(ref, "meta")

        def direct_recommendations(ref: str) -> None:
            # Side by side, as the insight reads the newest views and orders.
            calls = [
                ("events", {"include": action, "size": "100"})
                for action in ("product_viewed", "order_completed")
            ]
            list(pool.map(lambda call: upstream_get(ref, *call), calls))

        def direct_summary(ref: str) -> None:
            calls = [("meta", None)] + [
                ("events", {"include": action, "size": "100", "start": "2000-01-01"})
                for action in ("order_completed", "email_sent", "email_opened", "email_clicked")
            ]
            list(pool.map(lambda call: upstream_get(ref, *call), calls))

        endpoints = {
            "profile": ("", direct_profile),
            "viewed-not-purchased": (
                "/recommendations/viewed-not-purchased",
                direct_recommendations,
            ),
            "summary": ("/summary", direct_summary),
        }
        print(
            f"\nLatency (ms), sandbox upstream with {LATENCY_MS} ms injected latency, "
            f"{count} requests per row, refs cycled over {len(REFS)} customers"
        )
        print(f"{'endpoint':22} {'mode':9} {'p50':>8} {'p99':>8} {'direct p50':>11} {'ratio':>7}")
        for name, (suffix, direct) in endpoints.items():
            refs = iter(REFS * count)
            direct_samples = timed(lambda d=direct, r=refs: d(next(r)), count)
            direct_p50, _ = percentiles(direct_samples)
            RESULTS.samples.setdefault("API's upstream calls, direct", []).extend(direct_samples)
            for mode, headers in (("uncached", {"Cache-Control": "no-cache"}), ("cached", {})):
                call = api_caller(api, f"http://127.0.0.1:{app_port}", suffix, headers, count)
                if mode == "cached":
                    for _ in range(4 * len(REFS)):  # warm both gunicorn workers' caches
                        call()
                samples = timed(call, count)
                p50, p99 = percentiles(samples)
                ratio = p50 / direct_p50
                RESULTS.add(
                    f"{name}, {mode}, p50",
                    p50,
                    "ms",
                    "the same data straight from the upstream, p50",
                    direct_p50,
                )
                RESULTS.samples.setdefault(f"API, {mode}", []).extend(samples)
                print(f"{name:22} {mode:9} {p50:8.1f} {p99:8.1f} {direct_p50:11.1f} {ratio:7.2f}")
    finally:
        app.stop()
        sandbox.stop()


def cpu_seconds(server: Server) -> float | None:
    """User + system CPU so far of a gunicorn server's workers (Linux /proc; else None)."""
    total = 0.0
    try:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                # Fields after the ")" that ends the command name: state, ppid, ...
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == server.pid:
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None
    return total


def report_export(
    client: Any,
    out: Path,
    capacity: float | None,
    label: str,
    server: Server | None = None,
) -> float:
    from django.conf import settings

    from profileviewer.export import ExportOptions, run_export

    config = client.config
    before = client.stats()
    workers = int(settings.EXPORT_CONCURRENCY)
    server_cpu = cpu_seconds(server) if server else None
    own_cpu = time.process_time()
    result = run_export(client, ExportOptions(out, with_events=True), workers=workers)
    own_cpu = time.process_time() - own_cpu
    if server_cpu is not None and server is not None:
        server_cpu = (cpu_seconds(server) or 0.0) - server_cpu
    after = client.stats()
    calls = after.get("calls", 0) - before.get("calls", 0)
    limited = after.get("rate_limited", 0) - before.get("rate_limited", 0)
    free_burst = config.rate_burst * config.rate_share
    allowed_calls = free_burst + config.rate_limit * result.seconds
    per_profile = calls / result.profiles
    print(
        f"\nExport of the demo data set with events, {label} ({config.rate_limit:g}/s, burst "
        f"{config.rate_burst}, share {config.rate_share:g}, EXPORT_CONCURRENCY {workers})"
    )
    print(
        f"  {result.profiles} profiles, {result.events} events, "
        f"{out.stat().st_size / 1e6:.1f} MB in {result.seconds:.1f} s, "
        f"{result.profiles / result.seconds:.1f} profiles/s"
    )
    rate = calls / result.seconds
    print(
        f"  upstream requests: {calls} ({per_profile:.2f} per profile), {rate:.1f}/s; "
        f"429s or client give-ups on its own limiter (waited out by the export): {limited}"
    )
    if calls:
        # Where the two cores go: both processes' CPU per upstream request.
        sandbox = f"{server_cpu * 1000 / calls:.2f} ms" if server_cpu is not None else "n/a"
        print(
            f"  CPU per upstream request: export process {own_cpu * 1000 / calls:.2f} ms, "
            f"sandbox {sandbox}"
        )
    if capacity is not None:
        bound = min(allowed_calls, capacity * result.seconds)
        RESULTS.add(
            f"Export, {label}: upstream requests",
            calls,
            "requests",
            "what the limit allows over the run, or this machine's unlimited rate if lower",
            bound,
            "ratio >= 0.9",
        )
        print(
            f"  the rate limit allows {allowed_calls / per_profile / result.seconds:.1f} "
            f"profiles/s over that time -> {calls / allowed_calls:.0%} of the allowance "
            f"(target >= 90%); of min(allowance, this machine's unlimited rate "
            f"{capacity:.1f}/s): {calls / bound:.0%}; of the sustained rate alone "
            f"(burst aside): {rate / config.rate_limit:.0%}"
        )
    return rate


def export_phase(workdir: Path, small: Path, large: Path) -> None:
    # One sandbox process: its token bucket (PAPI-7) lives in the process, so two workers
    # would each grant 100/s and the "default limit" would really be 200/s. Its threads
    # outnumber the export's concurrent requests (EXPORT_CONCURRENCY profiles plus as many
    # page fetches), so none queues in the sandbox.
    unlimited_port, sandbox_port, small_port = free_port(), free_port(), free_port()
    shape = {"workers": SANDBOX_WORKERS, "threads": SANDBOX_THREADS}
    limited = {"SANDBOX_RATE_LIMIT_ENABLED": "true"}
    unlimited = serve_sandbox(sandbox_env(large, unlimited_port), unlimited_port, **shape)
    sandbox = serve_sandbox(sandbox_env(large, sandbox_port, **limited), sandbox_port, **shape)
    small_sandbox = serve_sandbox(sandbox_env(small, small_port, **limited), small_port, **shape)
    try:
        os.environ.update(
            sandbox_env(
                large,
                sandbox_port,
                **limited,
                INTILERY_API_URL=f"http://127.0.0.1:{sandbox_port}/sandbox",
            )
        )
        import django

        django.setup()
        from profileviewer.api.management.commands.export_profiles import export_client
        from profileviewer.client.client import ProfilesClient

        client = export_client()
        # What this machine can do at all: the same export with no rate limit anywhere (the
        # sandbox's own limit off too). Its request rate is the ceiling for the runs below.
        free = dataclasses.replace(
            client.config,
            base_url=f"http://127.0.0.1:{unlimited_port}/sandbox",
            rate_limit=1e6,
            rate_burst=1_000_000,
        )
        capacity = report_export(
            ProfilesClient(free), workdir / "free.jsonl", None, "no limit", unlimited
        )
        # The figure of issue #5: long enough that the free burst is a small part of it.
        report_export(client, workdir / "export.jsonl", capacity, "default rate limit", sandbox)
        # Slow limiters, on the small data set to keep the phase bounded. At 30/s: whether
        # the export can use what a limiter grants when the sandbox keeps up with ease.
        small_url = f"http://127.0.0.1:{small_port}/sandbox"
        slow = dataclasses.replace(
            client.config, base_url=small_url, rate_limit=30.0, rate_burst=60
        )
        report_export(
            ProfilesClient(slow), workdir / "export-30.jsonl", capacity, "limit 30/s", small_sandbox
        )
        # A limiter far slower than the export's appetite: it must wait for its tokens, not
        # fail (the 30/s run once gave up after 108 profiles).
        slower = dataclasses.replace(slow, rate_limit=20.0, rate_burst=5)
        report_export(
            ProfilesClient(slower),
            workdir / "export-20.jsonl",
            capacity,
            "limit 20/s",
            small_sandbox,
        )
        print(f"\nLoad average after the export runs: {os.getloadavg()}")
    finally:
        small_sandbox.stop()
        sandbox.stop()
        unlimited.stop()


def seed(database: Path, profiles: int) -> None:
    env = sandbox_env(database, free_port())
    manage(env, "migrate", "--noinput", "-v", "0")
    started = time.monotonic()
    manage(env, "seed_demo", "--profiles", str(profiles), "--seed", "42")
    print(f"Seeded {profiles} demo profiles in {time.monotonic() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--profiles", type=int, default=300)
    parser.add_argument(
        "--export-profiles",
        type=int,
        default=2000,
        help="profiles seeded for the export throughput runs",
    )
    parser.add_argument("--only", choices=("latency", "export"), help="run one phase")
    parser.add_argument("--json", help="write the figures for the report here")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-api-"))
    database = workdir / "bench.sqlite3"
    try:
        seed(database, args.profiles)
        if args.only != "export":
            latency_phase(workdir, database, args.requests)
        if args.only != "latency":
            large = workdir / "export.sqlite3"
            seed(large, args.export_profiles)
            export_phase(workdir, database, large)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    RESULTS.write(args.json)


if __name__ == "__main__":
    main()
