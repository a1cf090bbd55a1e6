"""`make screenshots`: the README's pictures of the host simulators, in Debian's chromium.

Serves the app as `make run` does (SANDBOX=true, migrate, seed_demo, collectstatic, gunicorn),
but on a free port and a temporary SQLite file seeded with a small demo set, so the pictures
always show the same customers and a developer's own database is never touched. Then opens
`/dev/hosts/zendesk/` (Joe Bloggs's ticket, his summary inserted into the reply) and
`/dev/hosts/pipedrive/` (person 1) on http://localhost, which frame the app from 127.0.0.1,
and writes docs/screenshots/zendesk-simulator.png and docs/screenshots/pipedrive-simulator.png.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks.servers import BASE_DIR, Server, free_port, manage, sandbox_env, seed, serve

OUT = BASE_DIR / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PANELS = ("summary", "viewed-not-bought", "timeline")


def start(workdir: Path) -> Server:
    """The app as `make run` serves it, on a small demo set of its own (none of a developer's
    settings: only the sandbox and local memory)."""
    database, port = workdir / "db.sqlite3", free_port()
    seed(database, 20)
    env = sandbox_env(database, port)
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    return serve(env, port, workers=1, threads=32)


def sidebar_ready(page: Any, frame_name: str) -> Any:
    from playwright.sync_api import expect

    app = page.frame_locator(f"iframe[name={frame_name}]")
    expect(app.locator("h1#sb-name")).to_have_text("Joe Bloggs")
    for panel in PANELS:
        expect(app.locator(f"#panel-{panel} .panel-body")).not_to_have_class(
            re.compile(r"\bis-loading\b")
        )
    return app


def take(url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1280, "height": 860},
            timezone_id="Europe/London",
            locale="en-GB",
            color_scheme="light",
        )
        context.set_default_timeout(15_000)
        page = context.new_page()

        page.goto(f"{url}/dev/hosts/zendesk/")
        app = sidebar_ready(page, "zaf-app")
        app.get_by_role("button", name="Insert into reply").click()
        expect(page.locator("#sim-reply")).to_have_value(re.compile("^Customer: Joe Bloggs"))
        page.wait_for_load_state("networkidle")  # the products' pictures
        page.screenshot(path=str(OUT / "zendesk-simulator.png"))

        page.goto(f"{url}/dev/hosts/pipedrive/")
        sidebar_ready(page, "pd-panel")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(OUT / "pipedrive-simulator.png"))
        browser.close()


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="pv-screenshots-"))
    server = None
    try:
        server = start(workdir)
        # The simulators on localhost frame the app from 127.0.0.1: cross-site, as in the hosts.
        take(server.url.replace("127.0.0.1", "localhost"))
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    for name in ("zendesk-simulator.png", "pipedrive-simulator.png"):
        print(f"wrote {(OUT / name).relative_to(BASE_DIR)}")


if __name__ == "__main__":
    main()
