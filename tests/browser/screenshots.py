"""`make screenshots`: the README's pictures of the host simulators, in Debian's chromium.

Serves the app as `make run` does (SANDBOX=true, migrate, seed_demo, collectstatic, gunicorn),
but on a free port and a temporary SQLite file seeded with a small demo set, so the pictures
always show the same customers and a developer's own database is never touched. Then opens
`/dev/hosts/zendesk/` (Joe Bloggs's ticket, his summary inserted into the reply) and
`/dev/hosts/pipedrive/` (person 1) on http://localhost, which frame the app from 127.0.0.1,
and writes docs/screenshots/zendesk-simulator.png and docs/screenshots/pipedrive-simulator.png.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.request import urlopen

BASE_DIR = Path(__file__).resolve().parents[2]
OUT = BASE_DIR / "docs" / "screenshots"
VENV_BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PANELS = ("summary", "viewed-not-bought", "timeline")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def app_env(database: Path, port: int) -> dict[str, str]:
    # Only the sandbox and local memory: a developer's DATABASE_URL or REDIS_URL stays unused.
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SANDBOX_", "INTILERY_", "PIPEDRIVE_", "ZENDESK_", "DJANGO_"))
        and name not in ("DATABASE_URL", "REDIS_URL", "DEBUG")
    }
    env.update(
        SANDBOX="true",
        PORT=str(port),
        DATABASE_URL=f"sqlite:///{database}",
        DJANGO_SETTINGS_MODULE="profileviewer.settings",
        LOG_LEVEL="WARNING",
    )
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], env=env, cwd=BASE_DIR, check=True)


def serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "seed_demo", "--profiles", "20", "--seed", "42", "--large-profiles", "0")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "profileviewer.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "32",
            "--worker-class",
            "gthread",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=BASE_DIR,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the app exited with {server.returncode}")
        try:
            with urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2):
                return server
        except (URLError, OSError):
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the app did not answer within 30 s")


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
    port = free_port()
    server = None
    try:
        server = serve(app_env(workdir / "db.sqlite3", port), port)
        # The simulators on localhost frame the app from 127.0.0.1: cross-site, as in the hosts.
        take(f"http://localhost:{port}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    for name in ("zendesk-simulator.png", "pipedrive-simulator.png"):
        print(f"wrote {(OUT / name).relative_to(BASE_DIR)}")


if __name__ == "__main__":
    main()
