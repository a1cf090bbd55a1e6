"""`make bench-viewer`: what the agents' viewer costs over its upstream, and what a browser sees.

Starts two processes on loopback, both gunicorn with 16 threads per worker:
- the **upstream**: the sandbox (SANDBOX=true, a temporary SQLite file migrated and seeded with
  `seed_demo --profiles 20 --large-profiles 0`, rate limit off) with
  SANDBOX_FAULT_LATENCY_MS=50 injected on every call;
- the **app**: this script re-run with `--serve-app`, production settings (DEBUG=false,
  whitenoise serving compressed, hashed static files collected into a temporary STATIC_ROOT),
  INTILERY_API_URL pointing at the upstream, in two shapes, one after the other:
  - `local`: `make run`'s shape, 1 worker x 32 threads sharing the local-memory cache;
  - `redis`: the scale-out shape, 2 workers x 16 threads sharing the Redis cache and rate
    limiter (db 13, BENCH_REDIS_URL), coalescing upstream calls through the Redis lock.
  The bench empties the app's cache through a bench-only URL its `--serve-app` wrapper adds.

Prints, for Joe Bloggs (`userId:qrc-117322`):
1. each panel's htmx response time uncached (`fresh=1`) against a direct upstream call for the
   same data: the upstream requests that panel made (read from the upstream's access log),
   replayed with a pooled `requests.Session`, uncompressed as the app's client asks (in
   parallel for `summary`, `activity` and `viewed-not-bought`, which fetch side by side
   themselves; in order for the others). Ratio of p50s, target <= 1.10; beside it the
   middle half (25th-75th percentile) of the per-sample ratios (each panel response over
   the direct call right after it), to show how far a run's ratio can be read;
2. each panel's cached response time (p50), against a signed-in no-op view's (the session
   and the user loaded, nothing else: tests/benchmarks/app_urls.py), the least any request
   of a signed-in agent costs;
3. with Debian's chromium: time from navigation start to every panel (and the header, which
   a first view loads beside them) rendered (target
   < 2 x 50 ms + 150 ms = 250 ms), in the agent's tab and in a new tab, for:
   - a first view: nothing about the customer in the app's cache (flushed before each run),
     so the page and its panels pay every upstream call; opened directly (as a helpdesk
     sidebar does) and from the search box (`/lookup?q=qrc-117322`, redirect included);
   - a cached view (the same customer again within the cache TTL);
   - a refresh (`fresh=1`, the refresh button: every panel bypasses the cache);
   and the page's total transferred bytes (`encodedDataLength` from the DevTools protocol,
   first view in a new tab with the browser cache cleared, target < 40 KB).

Bounded: `--samples N` (default 25) per panel and kind, `--navigations N` (default 8).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.results import Results
from tests.benchmarks.results import ms as in_ms
from tests.benchmarks.servers import (
    TOKEN,
    Server,
    Upstream,
    free_port,
    sandbox_env,
    serve,
    start_upstream,
)

RESULTS = Results("viewer")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
LATENCY_MS = 50
JOE = "userId:qrc-117322"
PANELS = ["traits", "meta", "summary", "activity", "viewed-not-bought", "timeline"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Records when the last skeleton (the six panels' and, on a first view, the header's) was
# swapped for content (ms since navigation start), and resolves `__pvPanelsDoneAt` with it.
# Injected by the DevTools protocol, so the page's strict CSP does not apply to it.
PANELS_DONE_SCRIPT = """
window.__pvPanelsDoneAt = new Promise((resolve) => {
  const check = () => {
    if (window.__pvPanelsDone) return;
    if (document.querySelectorAll('.panel-body').length >= 6 &&
        document.querySelectorAll('.is-loading').length === 0) {
      window.__pvPanelsDone = performance.now();
      observer.disconnect();
      resolve(window.__pvPanelsDone);
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, {childList: true, subtree: true});
  setTimeout(() => resolve(null), 15000);
});
"""


# With BENCH_DEBUG set: when each request of a navigation started and ended, in ms.
TIMINGS_SCRIPT = """
[performance.getEntriesByType('navigation')[0], ...performance.getEntriesByType('resource')]
  .map(e => `${e.name.replace(location.origin, '').slice(0, 40)} `
          + `${Math.round(e.startTime)}-${Math.round(e.responseEnd)}`).join('\\n')
"""


SHAPES = {"local": (1, 32), "redis": (2, 16)}  # workers, threads
FLUSH_PATH = "/__bench__/flush-cache"


def start_app(workdir: Path, upstream: Upstream, shape: str) -> Server:
    """The app on the upstream's database (its demo / demo sign-in), calling the upstream."""
    port = free_port()
    workers, threads = SHAPES[shape]
    env = sandbox_env(
        upstream.database,
        port,
        INTILERY_API_URL=upstream.api_url,
        BENCH_STATIC_ROOT=workdir / "static",
        BENCH_WORKERS=workers,
        BENCH_THREADS=threads,
        # One agent asks for hundreds of panels, most of them fresh, within seconds: their
        # own allowance (agents/limits.py) is not what this measures.
        AGENT_RATE=1_000_000,
        AGENT_BURST=1_000_000,
        AGENT_FRESH_RATE=1_000_000,
        AGENT_FRESH_BURST=1_000_000,
    )
    if shape == "redis":
        import redis

        env["REDIS_URL"] = REDIS_URL
        redis.Redis.from_url(REDIS_URL).flushdb()
    command = [sys.executable, __file__, "--serve-app", str(port)]
    return serve(env, port, workers=workers, threads=threads, command=command)


def serve_app(port: int) -> None:
    """The app under production settings, static files collected into a temporary root."""
    import django
    from django.conf import settings
    from django.core.management import call_command
    from gunicorn.app.base import BaseApplication

    settings.STATIC_ROOT = os.environ["BENCH_STATIC_ROOT"]
    settings.ROOT_URLCONF = "tests.benchmarks.app_urls"  # the app's, and the signed-in no-op
    django.setup()
    call_command("collectstatic", interactive=False, verbosity=0)
    # The application gunicorn serves in production, with its start-up tuning (wsgi.py).
    from profileviewer.wsgi import application as django_app

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        # Bench only: empty the cache the app's workers share (local memory or Redis),
        # answering with this worker's pid.
        if environ.get("PATH_INFO") == FLUSH_PATH and environ["REQUEST_METHOD"] == "POST":
            from django.core.cache import caches

            caches["default"].clear()
            start_response("204 No Content", [("X-Worker", str(os.getpid()))])
            return []
        return django_app(environ, start_response)

    class App(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in {
                "bind": f"127.0.0.1:{port}",
                "workers": int(os.environ["BENCH_WORKERS"]),
                "threads": int(os.environ["BENCH_THREADS"]),
                "worker_class": "gthread",
                "keepalive": 30,
                "loglevel": "warning",
            }.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    App().run()


def signed_in_session(app: str) -> requests.Session:
    session = requests.Session()
    page = session.get(app + "/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        app + "/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": "demo", "password": "demo"},
        headers={"Referer": app + "/accounts/login/"},
        timeout=10,
    )
    response.raise_for_status()
    assert "Find a customer" in response.text, "the demo agent could not sign in"
    return session


def machine_speed() -> float:
    """Seconds this machine takes for a fixed pure-Python workload (best of 5): these
    figures scale with it, so a run on another machine, or the same one under a noisy
    neighbour, can be read against it."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i % 7
        best = min(best, time.perf_counter() - start)
    return best


def p50(values: list[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def replay(direct: requests.Session, calls: list[str], pool: ThreadPoolExecutor | None) -> None:
    """The same upstream requests a panel made, straight to the upstream."""
    if pool is not None:
        for future in [pool.submit(direct.get, call, timeout=30) for call in calls]:
            future.result().json()
        return
    for call in calls:
        direct.get(call, timeout=30).json()


def bench_panels(app: str, upstream: Upstream, samples: int, shape: str) -> float:
    """Prints each panel's figures; returns the slowest panel's direct upstream p50 (s)."""
    log = upstream.log
    session = signed_in_session(app)
    direct = requests.Session()
    # Uncompressed, as the app's client asks an upstream on loopback (client/transport.py):
    # the same bytes over the same interface, no gzip at either end of the direct call.
    direct.headers.update(
        {"content-type": "application/json", "auth-token": TOKEN, "accept-encoding": "identity"}
    )
    htmx = {"HX-Request": "true"}
    print(f"\nPanels for {JOE}, upstream latency {LATENCY_MS} ms, {samples} samples each")
    print(
        f"{'panel':<19}{'calls':>6}{'viewer p50':>14}{'direct p50':>14}{'ratio':>8}"
        f"{'middle half':>13}{'cached p50':>14}"
    )
    # What any request of a signed-in agent costs at least (the session and the user loaded,
    # nothing else): the reference of the cached panels, each asked after as long an idle
    # wait as theirs (the direct call before it), since a request after idling costs more
    # here (docs/performance.md, "Cached panel cost").
    floor_times = []
    for _ in range(2 * samples):
        time.sleep(LATENCY_MS / 1000)
        start = time.perf_counter()
        response = session.get(app + "/__bench__/signed-in", headers=htmx, timeout=30)
        floor_times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    floor = p50(floor_times)
    print(f"signed-in no-op view (the floor of any panel): p50 {ms(floor)}")
    ratios = []
    all_viewer: list[float] = []
    all_direct: list[float] = []
    all_cached: list[float] = []
    slowest_direct = 0.0
    for panel in PANELS:
        url = f"{app}/profile/{panel}"
        # The calls of a request in steady state: the first one also reads whether Joe is a
        # customer (services.require_customer), which is then cached.
        session.get(url, params={"ref": JOE, "fresh": "1"}, headers=htmx, timeout=30)
        log.skip()
        session.get(url, params={"ref": JOE, "fresh": "1"}, headers=htmx, timeout=30)
        calls = [upstream.server.url + a.path for a in log.new() if a.method == "GET"]
        # The summary, the activity chart and viewed-not-bought fetch side by side, so
        # their direct equivalent does too; the others call in sequence.
        parallel = panel in ("summary", "activity", "viewed-not-bought")
        pool = ThreadPoolExecutor(max_workers=max(1, len(calls)))
        viewer_times, direct_times, cached_times = [], [], []
        for _ in range(samples):
            start = time.perf_counter()
            response = session.get(url, params={"ref": JOE, "fresh": "1"}, headers=htmx, timeout=30)
            viewer_times.append(time.perf_counter() - start)
            assert response.status_code == 200 and "panel-error" not in response.text, panel
            start = time.perf_counter()
            replay(direct, calls, pool if parallel else None)
            direct_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            session.get(url, params={"ref": JOE}, headers=htmx, timeout=30)
            cached_times.append(time.perf_counter() - start)
        pool.shutdown()
        ratio = p50(viewer_times) / p50(direct_times)
        ratios.append(ratio)
        slowest_direct = max(slowest_direct, p50(direct_times))
        all_viewer += viewer_times
        all_direct += direct_times
        all_cached += cached_times
        reference = f"the panel's {len(calls)} upstream call(s), direct, p50"
        RESULTS.add(
            f"{shape}: {panel} panel, uncached, p50",
            p50(viewer_times) * 1000,
            "ms",
            reference,
            p50(direct_times) * 1000,
            "ratio <= 1.10",
        )
        RESULTS.add(
            f"{shape}: {panel} panel, cached, p50",
            p50(cached_times) * 1000,
            "ms",
            "a signed-in no-op view, p50",
            floor * 1000,
        )
        paired = [v / d for v, d in zip(viewer_times, direct_times, strict=True)]
        low, _, high = statistics.quantiles(paired, n=4)
        print(
            f"{panel:<19}{len(calls):>6}{ms(p50(viewer_times)):>14}{ms(p50(direct_times)):>14}"
            f"{ratio:>8.2f}{f'{low:.2f}-{high:.2f}':>13}{ms(p50(cached_times)):>14}"
        )
    print(f"worst uncached ratio {max(ratios):.2f} (target <= 1.10)")
    RESULTS.samples[f"{shape}: panels, uncached"] = in_ms(all_viewer)
    RESULTS.samples[f"{shape}: their upstream calls, direct"] = in_ms(all_direct)
    RESULTS.samples[f"{shape}: panels, cached"] = in_ms(all_cached)
    return slowest_direct


def bench_browser(app: str, navigations: int, workers: int, shape: str, direct: float) -> None:
    """``direct``: the slowest panel's upstream calls made directly (s), the reference."""
    from playwright.sync_api import expect, sync_playwright

    def flush_app_cache() -> None:
        """Nothing about the customer in the app's cache, whichever worker answers."""
        reached: set[str] = set()
        for _ in range(50):  # each POST on a new connection reaches a worker at random
            response = requests.post(app + FLUSH_PATH, timeout=10)
            response.raise_for_status()
            reached.add(response.headers["X-Worker"])
            if len(reached) == workers:
                return
        raise SystemExit(f"the flush reached {len(reached)} of {workers} workers")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(PANELS_DONE_SCRIPT)

        def run(tab: Any, url: str, *, cold: bool = False) -> tuple[float, int]:
            cdp = context.new_cdp_session(tab)
            cdp.send("Network.enable")
            if cold:
                cdp.send("Network.clearBrowserCache")
            transferred = [0]

            def finished(event: dict[str, Any]) -> None:
                transferred[0] += int(event["encodedDataLength"])

            cdp.on("Network.loadingFinished", finished)
            tab.goto(url)
            # Awaited in the page before any locator: Playwright's first locator on a page
            # evaluates its own script there (~20-30 ms of the renderer's main thread here),
            # which, while the panels loaded, delayed their swaps in the figures.
            done = tab.evaluate("window.__pvPanelsDoneAt")
            assert done is not None, "the panels did not all load within 15 s"
            expect(tab.locator(".is-loading")).to_have_count(0)
            expect(tab.locator(".panel-error")).to_have_count(0)
            if os.environ.get("BENCH_DEBUG"):
                print(tab.evaluate(TIMINGS_SCRIPT))
            tab.wait_for_timeout(300)  # images and late responses finish
            cdp.detach()
            return done / 1000, transferred[0]

        tab = context.new_page()
        tab.goto(app + "/accounts/login/")
        tab.get_by_label("Username").fill("demo")
        tab.get_by_label("Password").fill("demo")
        tab.get_by_role("button", name="Sign in").click()
        expect(tab.get_by_role("heading", name="Find a customer")).to_be_visible()

        profile = f"{app}/profile?ref={JOE}"
        # An agent's first look at this customer, in a new tab with nothing in the browser's
        # cache: the page's whole weight.
        flush_app_cache()
        cold_tab = context.new_page()
        cold_time, cold_bytes = run(cold_tab, profile, cold=True)
        cold_tab.close()
        times: dict[str, list[float]] = {
            "first view": [],
            "first view via search": [],
            "cached": [],
            "refresh": [],
            "new tab, first view": [],
            "new tab, cached": [],
        }
        warm_bytes = 0
        for _ in range(navigations):
            # In the agent's tab (the sidebar or the browser tab they work in).
            flush_app_cache()  # nobody on the server knows this customer: a first view
            elapsed, warm_bytes = run(tab, profile)
            times["first view"].append(elapsed)
            # The same from the search box: the look-up, its redirect, then the profile.
            flush_app_cache()
            times["first view via search"].append(run(tab, f"{app}/lookup?q=qrc-117322")[0])
            times["cached"].append(run(tab, profile)[0])
            times["refresh"].append(run(tab, profile + "&fresh=1")[0])
            # The same in a new tab (a new renderer process: fonts, styles and scripts cold).
            flush_app_cache()
            fresh_tab = context.new_page()
            times["new tab, first view"].append(run(fresh_tab, profile)[0])
            fresh_tab.close()
            fresh_tab = context.new_page()
            times["new tab, cached"].append(run(fresh_tab, profile)[0])
            fresh_tab.close()
        browser.close()
    target = 2 * LATENCY_MS / 1000 + 0.150
    print(
        f"\nChromium, navigation start to all six panels rendered ({navigations} runs each; "
        f"target < {target * 1000:.0f} ms)"
    )
    for label, values in times.items():
        print(f"  {label:<22} p50 {ms(p50(values))}   max {ms(max(values))}")
        RESULTS.add(
            f"{shape}: Chromium, all panels rendered, {label}, p50",
            p50(values) * 1000,
            "ms",
            "the slowest panel's upstream calls, direct, p50",
            direct * 1000,
            f"value < {target * 1000:.0f}",
        )
    RESULTS.samples[f"{shape}: Chromium page, first view"] = in_ms(times["first view"])
    RESULTS.samples[f"{shape}: Chromium page, cached"] = in_ms(times["cached"])
    print(f"  first view, new tab, cold browser cache {ms(cold_time)}")
    print(
        f"  transferred: cold browser cache {cold_bytes / 1024:.1f} KB, "
        f"static cached {warm_bytes / 1024:.1f} KB (target < 40 KB)"
    )
    RESULTS.add(
        f"{shape}: page weight, cold browser cache",
        cold_bytes / 1024,
        "KB",
        "target 40 KB",
        40,
        "value < 40",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--samples", type=int, default=25)
    parser.add_argument("--navigations", type=int, default=8)
    parser.add_argument("--shapes", nargs="+", choices=SHAPES, default=list(SHAPES))
    parser.add_argument("--serve-app", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", help="write the figures for the report here")
    args = parser.parse_args()
    if args.serve_app:
        serve_app(args.serve_app)
        return
    workdir = Path(tempfile.mkdtemp(prefix="pv-bench-viewer-"))
    servers: list[Server | Upstream] = []
    try:
        upstream = start_upstream(workdir, latency_ms=LATENCY_MS, threads=16, demo_agent=True)
        servers.append(upstream)
        for shape in args.shapes:
            workers, threads = SHAPES[shape]
            print(f"\n=== App shape '{shape}': {workers} worker(s) x {threads} threads")
            # Measured before each shape: a shared machine's speed drifts between them.
            print(f"Machine: a fixed pure-Python loop takes {machine_speed() * 1000:.0f} ms")
            app = start_app(workdir, upstream, shape)
            servers.append(app)
            direct = bench_panels(app.url, upstream, args.samples, shape)
            bench_browser(app.url, args.navigations, workers, shape, direct)
            app.stop()
            servers.remove(app)
    finally:
        for server in reversed(servers):
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    RESULTS.write(args.json)


if __name__ == "__main__":
    main()
