"""The host simulators (static/dev/*-host.js) drive the real vendored SDKs across origins.

A host page on http://127.0.0.1:<port> frames an app page on http://localhost:<port>, both served
from tmp_path under `script-src 'self'`, as Zendesk and Pipedrive frame our embedded page.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
REQUESTER = {"id": 501, "name": "Joe Bloggs", "email": "joe@example.com", "externalId": "qrc-1"}
SERVED = ["static/dev/zendesk-host.js", "static/dev/pipedrive-host.js"] + [
    f"static/vendor/{name}"
    for name in ("zaf_sdk.min.js", "app-extensions-sdk.umd.js", "index.umd.js.map")
]

PAGES = {
    # Zendesk: the host records what the app asked of it; the app records the events it got.
    "zendesk-host.html": """<!doctype html><title>host</title><link rel="icon" href="data:,">
<iframe id="app" data-app-url="{app}/zendesk-app.html"></iframe>
<iframe id="stranger" src="{app}/blank.html"></iframe>
<script src="static/dev/zendesk-host.js"></script>
<script src="zendesk-host-test.js"></script>""",
    "zendesk-host-test.js": """window.calls = [];
var frame = document.getElementById("app");
window.sim = ZendeskHostSim.start(frame, {
  url: frame.dataset.appUrl,
  ticket: {id: 1001, createdAt: "2026-01-02T09:30:00Z", requester: %(requester)s},
  onResize: function (h, w) { calls.push(["resize", h, w]); },
  onAppendText: function (text) { calls.push(["appendText", text]); },
  onInstanceCreate: function (spec) { calls.push(["instancesCreate", spec]); },
});""",
    "zendesk-app.html": """<!doctype html><title>app</title><link rel="icon" href="data:,">
<script src="static/vendor/zaf_sdk.min.js"></script>
<script src="zendesk-app.js"></script>""",
    "zendesk-app.js": """window.events = [];
window.client = ZAFClient.init();
window.registrations = [];
window.registered = new Promise(function (resolve) {
  client.on("app.registered", function (data) { registrations.push(data); resolve(data); });
});
["ticket.requester.id.changed", "ticket.requester.email.changed"].forEach(function (name) {
  client.on(name, function (value) { events.push([name, value]); });
});""",
    # Pipedrive
    "pipedrive-host.html": """<!doctype html><title>host</title><link rel="icon" href="data:,">
<iframe id="app" data-app-url="{app}/pipedrive-app.html"></iframe>
<script src="static/dev/pipedrive-host.js"></script>
<script src="pipedrive-host-test.js"></script>""",
    "pipedrive-host-test.js": """window.calls = [];
var frame = document.getElementById("app");
window.sim = PipedriveHostSim.start(frame, {
  url: frame.dataset.appUrl,
  theme: "light",
  onResize: function (h) { calls.push(["resize", h]); },
  signToken: function () { return Promise.resolve("signed.jwt.token"); },
});""",
    "pipedrive-app.html": """<!doctype html><title>app</title><link rel="icon" href="data:,">
<script src="static/vendor/app-extensions-sdk.umd.js"></script>
<script src="pipedrive-app.js"></script>""",
    "pipedrive-app.js": """window.themes = [];
var sdk = new AppExtensionsSDK();
window.firstTheme = sdk.userSettings.theme;
sdk.listen(AppExtensionsSDK.Event.USER_SETTINGS_CHANGE, function (event) {
  themes.push(event.data.theme);
});
window.initialized = sdk.initialize({size: {height: 320}});""",
    "blank.html": "<!doctype html><title>stranger</title>",
}


class _StrictHandler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", "script-src 'self'")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(directory: Path) -> tuple[ThreadingHTTPServer, int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_StrictHandler, directory=directory))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@pytest.fixture(scope="module")
def origins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    site = tmp_path_factory.mktemp("site")
    for path in SERVED:
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / path, site / path)
    host_server, host_port = _serve(site)
    app_server, app_port = _serve(site)
    host, app = f"http://127.0.0.1:{host_port}", f"http://localhost:{app_port}"
    for name, text in PAGES.items():
        text = text.replace("{app}", app) if name.endswith(".html") else text
        (site / name).write_text(text % {"requester": repr(REQUESTER).replace("None", "null")})
    yield host, app
    host_server.shutdown()
    app_server.shutdown()


@pytest.fixture(scope="module")
def browser(chromium: Any) -> Any:
    # The suite's one Chromium (tests/browser/conftest.py): Playwright's sync API allows one
    # running instance per thread.
    return chromium


@pytest.fixture
def host_page(browser: Any) -> Iterator[tuple[Any, list[str]]]:
    context = browser.new_context()
    context.set_default_timeout(5_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page, problems
    context.close()
    assert problems == [], "script errors or CSP violations"


def _app_frame(page: Any, app: str) -> Any:
    frame = page.locator("#app").element_handle().content_frame()
    frame.wait_for_load_state()
    assert frame.url.startswith(app)
    return frame


def _wait_until(frame: Any, condition: str) -> None:
    # Playwright's wait_for_function compiles its predicate with eval, which this CSP forbids.
    frame.evaluate(
        f"""new Promise(function (resolve, reject) {{
              var deadline = Date.now() + 3000;
              (function poll() {{
                if ({condition}) resolve();
                else if (Date.now() > deadline) reject(new Error("timed out: {condition}"));
                else setTimeout(poll, 20);
              }})();
            }})"""
    )


def test_zaf_client_gets_ticket_data_and_invokes_actions_on_the_zendesk_host(
    origins: tuple[str, str], host_page: tuple[Any, list[str]]
) -> None:
    host, app = origins
    page, _ = host_page
    page.goto(f"{host}/zendesk-host.html")
    frame = _app_frame(page, app)
    context = frame.evaluate("registered.then(function (data) { return data.context; })")
    assert context["location"] == "ticket_sidebar" and context["ticketId"] == 1001

    requester = frame.evaluate("client.get('ticket.requester')")
    assert requester["ticket.requester"] == REQUESTER
    assert frame.evaluate("client.get('ticket.createdAt')")["ticket.createdAt"] == (
        "2026-01-02T09:30:00Z"
    )
    assert frame.evaluate("client.get('ticket.id')")["ticket.id"] == 1001
    user = frame.evaluate("client.get('currentUser')")["currentUser"]
    assert set(user) == {"id", "name", "email", "locale", "timeZone"}
    assert "ianaName" in user["timeZone"]

    frame.evaluate("client.invoke('resize', {height: 240, width: '100%'})")
    frame.evaluate("client.invoke('comment.appendText', 'Hello Joe')")
    created = frame.evaluate(
        "client.invoke('instances.create', {location: 'modal', url: 'assets/modal.html'})"
    )
    assert created["instances.create"][0]["instanceGuid"]
    assert page.evaluate("calls") == [
        ["resize", 240, "100%"],
        ["appendText", "Hello Joe"],
        ["instancesCreate", {"location": "modal", "url": "assets/modal.html"}],
    ]
    assert page.evaluate("document.getElementById('app').style.height") == "240px"


def test_a_new_requester_reaches_the_zaf_clients_change_listeners(
    origins: tuple[str, str], host_page: tuple[Any, list[str]]
) -> None:
    host, app = origins
    page, _ = host_page
    page.goto(f"{host}/zendesk-host.html")
    frame = _app_frame(page, app)
    frame.evaluate("registered")
    # The SDK sends its iframe.on subscriptions once registered; a round trip after them settles it.
    frame.evaluate("client.get('ticket.id')")

    page.evaluate("sim.setTicket({requester: {id: 502, name: 'Ann', email: 'ann@example.com'}})")
    _wait_until(frame, "events.length === 2")
    assert frame.evaluate("events") == [
        ["ticket.requester.id.changed", 502],
        ["ticket.requester.email.changed", "ann@example.com"],
    ]
    assert frame.evaluate("client.get('ticket.requester.email')") == {
        "ticket.requester.email": "ann@example.com",
        "errors": {},
    }


def test_the_zendesk_host_answers_only_its_frame_on_the_app_origin(
    origins: tuple[str, str], host_page: tuple[Any, list[str]]
) -> None:
    host, app = origins
    page, _ = host_page
    page.goto(f"{host}/zendesk-host.html")
    frame = _app_frame(page, app)
    frame.evaluate("registered")
    impostor = """function (text) {
      parent.postMessage(JSON.stringify({key: 'iframe.handshake', message: {}}), '*');
      parent.postMessage(
        JSON.stringify({id: 99, request: 'invoke', params: {'comment.appendText': [text]}}), '*');
    }"""

    # Another window on the app's origin...
    stranger = page.locator("#stranger").element_handle().content_frame()
    stranger.evaluate(f"({impostor})('from a stranger')")
    page.wait_for_timeout(300)
    assert frame.evaluate("registrations.length") == 1
    # ...and the app's own frame once it has left for another origin.
    page.evaluate(f"document.getElementById('app').src = '{host}/blank.html'")
    moved = _app_frame(page, host)
    moved.evaluate(f"({impostor})('from elsewhere')")
    page.wait_for_timeout(300)
    assert page.evaluate("calls") == []


def test_pipedrive_sdk_initializes_gets_a_token_and_hears_theme_changes(
    origins: tuple[str, str], host_page: tuple[Any, list[str]]
) -> None:
    host, app = origins
    page, _ = host_page
    page.goto(f"{host}/pipedrive-host.html")
    frame = _app_frame(page, app)
    frame.evaluate("initialized")
    assert frame.evaluate("firstTheme") == "light"
    assert page.evaluate("calls") == [["resize", 320]]

    token = frame.evaluate(
        "initialized.then(function (sdk) {"
        " return sdk.execute(AppExtensionsSDK.Command.GET_SIGNED_TOKEN); })"
    )
    assert token == {"token": "signed.jwt.token"}
    frame.evaluate(
        "initialized.then(function (sdk) {"
        " return sdk.execute(AppExtensionsSDK.Command.RESIZE, {height: 480}); })"
    )
    assert page.evaluate("calls") == [["resize", 320], ["resize", 480]]

    page.evaluate("sim.setTheme('dark')")
    _wait_until(frame, "themes.length === 1")
    assert frame.evaluate("themes") == ["dark"]


def test_an_unsimulated_pipedrive_command_rejects(
    origins: tuple[str, str], host_page: tuple[Any, list[str]]
) -> None:
    host, app = origins
    page, _ = host_page
    page.goto(f"{host}/pipedrive-host.html")
    frame = _app_frame(page, app)
    error = frame.evaluate(
        "initialized.then(function (sdk) {"
        " return sdk.execute(AppExtensionsSDK.Command.SHOW_SNACKBAR, {message: 'hi'}); })"
        ".then(function () { return null; }, function (error) { return error.message; })"
    )
    assert error == "show_snackbar is not simulated"
