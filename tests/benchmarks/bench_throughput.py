"""`make bench-throughput`: two instances under a burst of agents, and a cached panel's
throughput against a minimal Django view.

Starts the sandbox upstream (its own gunicorn, 50 ms injected latency) and two app instances
in the production shape (SANDBOX and DEBUG off, gunicorn gthread, 2 workers x 8 threads each)
on one new PostgreSQL database and the Redis of BENCH_REDIS_URL (default db 13), sharing the
client's token bucket, set as in tests/scale to 10/s with 20 at once so that the burst outruns
it. Twenty-five agents sign in through the sign-in form, each working in two tabs. The
agents' own allowance (AGENT_RATE) is raised out of the way: one agent's cookie drives `wrk`.

1. The burst: 2,000 panel requests from 50 tabs at once across both instances. Reported:
   requests/s, latency, what agents saw (ok, busy, anything else, 5xx), the upstream's busiest
   second (its requests counted by arrival time) against the bucket's allowance, and each
   worker's resident memory afterwards (target < 120 MB).
2. Throughput with `wrk` (Debian's): the cached traits panel on one instance, against a
   minimal Django view (tests/benchmarks/minimal_urls.py) served by the same settings,
   middleware and gunicorn shape (target: at least half its requests/s); beside them the
   same view for the signed-in agent, which loads the session and the user as every panel
   must: the most requests/s any page for a signed-in agent can reach here.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.results import Results, ms
from tests.benchmarks.servers import (
    Server,
    app_env,
    burst,
    busiest_second,
    deployment,
    free_port,
    page_part,
    rss_mb,
    serve,
    start_upstream,
)

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
LATENCY_MS = 50
RATE, BURST = 10, 20
AGENTS = 25  # each in two browser tabs
TABS = 50
WORKERS, THREADS = 2, 8
JOE = "userId:qrc-117322"


def wrk(url: str, seconds: int, *headers: str) -> tuple[float, float, int]:
    """Requests/s, p50 latency (ms) and non-2xx answers of a `wrk` run on ``url``."""
    args = ["wrk", "-t2", f"-c{2 * THREADS}", f"-d{seconds}s", "--latency"]
    for header in headers:
        args += ["-H", header]
    output = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    latency = float(p50.group(1)) * scale[p50.group(2)] if p50 else float("nan")
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return rate, latency, int(bad.group(1)) if bad else 0


def worker_memory(instances: list[Server]) -> list[float]:
    return [rss_mb(pid) for server in instances for pid in server.worker_pids()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=8, help="each wrk run")
    parser.add_argument("--json", help="write the figures for the report here")
    args = parser.parse_args()
    results = Results("throughput")
    workdir = Path(tempfile.mkdtemp(prefix="pv-bench-throughput-"))
    upstream = minimal = None
    try:
        upstream = start_upstream(workdir, latency_ms=LATENCY_MS, profiles=13)
        refs = [f"id:{profile['id']}" for profile in upstream.profiles(12)]
        print(f"Two instances, {AGENTS} agents signing in...", flush=True)
        with deployment(
            upstream,
            instances=2,
            agents=AGENTS,
            redis_url=REDIS_URL,
            workers=WORKERS,
            threads=THREADS,
            INTILERY_RATE_LIMIT=RATE,
            INTILERY_RATE_BURST=BURST,
            INTILERY_CACHE_TTL=300,  # wrk's panel stays cached for the whole run
            AGENT_RATE=1_000_000,
            AGENT_BURST=1_000_000,
        ) as deployed:
            result = burst(deployed, refs, total=args.requests, clients=TABS)
            total = sum(result.outcomes.values())
            errors = sum(n for seen, n in result.outcomes.items() if seen.startswith("HTTP 5"))
            busiest, _ = busiest_second(result.arrivals)
            allowance = BURST + RATE
            memory = worker_memory(deployed.instances)
            print(
                f"\nBurst: {total} panel requests from {TABS} tabs over 2 instances in "
                f"{result.seconds:.1f} s ({total / result.seconds:.0f}/s), p50 "
                f"{statistics.median(result.latencies) * 1000:.0f} ms; seen {dict(result.outcomes)}"
            )
            print(
                f"  upstream: {len(result.arrivals)} requests, busiest second {busiest} "
                f"(bucket allows {allowance}: burst {BURST} + {RATE}/s)"
            )
            print(f"  worker RSS after the burst: {', '.join(f'{m:.0f}' for m in memory)} MB")
            results.add(
                "Upstream's busiest second in the burst",
                busiest,
                "requests",
                "the bucket's allowance in one second",
                allowance,
                "ratio <= 1",
            )
            results.add(
                "5xx seen by agents in the burst", errors, "answers", "answers", total, "value <= 0"
            )
            results.add(
                "Busy answers in the burst", result.outcomes["busy"], "answers", "answers", total
            )
            results.add(
                "Worker memory after the burst (largest)",
                max(memory),
                "MB RSS",
                "target 120 MB",
                120,
                "value < 120",
            )
            results.samples["burst: panel request, 2 instances"] = ms(result.latencies)

            # Throughput: Joe's traits panel, cached, on the first instance.
            instance, agent = deployed.instances[0], deployed.agents[0]
            seen, _ = page_part(agent, instance, "traits", JOE)
            assert seen == "ok", seen
            cookie = "; ".join(f"{k}={v}" for k, v in agent.cookies.items())
            port = free_port()
            env = app_env(
                upstream,
                port,
                database_url=deployed.database_url,
                REDIS_URL=REDIS_URL,
                DJANGO_SETTINGS_MODULE="tests.benchmarks.minimal_settings",
            )
            minimal = serve(env, port, workers=WORKERS, threads=THREADS, ready_path="/minimal")
            panel_url = f"{instance.url}/profile/traits?ref={JOE}"
            panel = wrk(panel_url, args.seconds, f"Cookie: {cookie}", "HX-Request: true")
            floor = wrk(minimal.url + "/minimal", args.seconds)
            signed_in = wrk(minimal.url + "/signed-in", args.seconds, f"Cookie: {cookie}")
            memory = worker_memory(deployed.instances)
        print(
            f"\nwrk, {2 * THREADS} connections, {args.seconds} s each, {WORKERS} workers x "
            f"{THREADS} threads:"
        )
        print(f"  cached traits panel: {panel[0]:.0f}/s, p50 {panel[1]:.1f} ms, non-2xx {panel[2]}")
        print(f"  minimal Django view: {floor[0]:.0f}/s, p50 {floor[1]:.1f} ms, non-2xx {floor[2]}")
        print(
            f"  signed-in no-op view: {signed_in[0]:.0f}/s, p50 {signed_in[1]:.1f} ms, "
            f"non-2xx {signed_in[2]}"
        )
        print(f"  ratio {panel[0] / floor[0]:.2f} (target >= 0.5)")
        if panel[2] or floor[2] or signed_in[2]:
            raise SystemExit("wrk saw answers other than 2xx: the figures are not comparable")
        results.add(
            "Cached panel throughput (wrk)",
            panel[0],
            "requests/s",
            "a minimal Django view, same gunicorn",
            floor[0],
            "ratio >= 0.5",
        )
        results.add(
            "Signed-in no-op view throughput (wrk): the ceiling of any signed-in page",
            signed_in[0],
            "requests/s",
            "a minimal Django view, same gunicorn",
            floor[0],
        )
        results.add(
            "Cached panel throughput against the signed-in no-op view",
            panel[0],
            "requests/s",
            "the signed-in no-op view, same gunicorn",
            signed_in[0],
        )
        results.add(
            "Cached panel latency under wrk (p50)",
            panel[1],
            "ms",
            "a minimal Django view, same gunicorn",
            floor[1],
        )
        results.add(
            "Worker memory after wrk (largest)",
            max(memory),
            "MB RSS",
            "target 120 MB",
            120,
            "value < 120",
        )
    finally:
        for server in (minimal, upstream):
            if server is not None:
                server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    results.write(args.json)


if __name__ == "__main__":
    main()
