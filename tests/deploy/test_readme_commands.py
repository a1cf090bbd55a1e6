"""Every shell command README.md shows, run as it stands against a sandbox served as `make run`
serves it: the commands must work when copied.

They run from a scratch folder holding `manage.py` and `.venv/bin/python` (links to this
checkout and this test run's Python), so what they write (`exports/`, `dist/`) lands there.
The server's port reaches them as PORT, which is what `make run` keeps in `.env` (its own test
below); the shared DATABASE_URL stands in for the checkout's `db.sqlite3`.

Changed before running: `127.0.0.1:8000` becomes the test server's address, and the
interactive `createsuperuser` gets `--noinput` with DJANGO_SUPERUSER_* set. Commands named
inline (`python manage.py NAME ...`) are run with `--help`: their arguments are placeholders.

Not run, each for a reason `NOT_RUN` names: `make run` and `make test` (`make run` is what the
fixture reproduces; `make test` is this suite), the Zendesk and Pipedrive API calls (they need
those companies' accounts), and the Deploying block (it needs a container engine, which this
machine has not; tests/deploy/test_containers.py lints the Dockerfile and reads compose.yaml).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile

import pytest

from tests.deploy.conftest import PRODUCTION, ROOT, clean_env, free_port, manage, wait_until_serving

README = (ROOT / "README.md").read_text()
NOT_RUN = {
    "make run": "the fixture serves the sandbox as make run does; make test is this suite",
    "zendesk.com/api": "needs a Zendesk account and API token",
    "api.pipedrive.com": "needs a Pipedrive account and API token",
    "docker compose": "needs a container engine",
}


def shell_blocks() -> list[str]:
    found = re.findall(r"^[ ]*```sh\n(.*?)^[ ]*```", README, re.MULTILINE | re.DOTALL)
    return [textwrap.dedent(block) for block in found]


def not_run_reason(block: str) -> str | None:
    return next((why for marker, why in NOT_RUN.items() if marker in block), None)


def inline_commands() -> list[str]:
    return sorted(set(re.findall(r"`((?:\.venv/bin/)?python3? manage\.py [a-z_]+)[^`]*`", README)))


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A sandbox with the demo data, served by gunicorn with gunicorn.conf.py."""
    tmp = tmp_path_factory.mktemp("readme")
    port = free_port()
    env = clean_env(PORT=str(port), DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}")
    for command in (["migrate", "--noinput"], ["seed_demo", "--if-empty"]):
        done = manage(*command, env={**env, "SANDBOX": "true"}, timeout=180)
        assert done.returncode == 0, done.stderr
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py"],
        cwd=ROOT,
        env={
            **env,
            "SANDBOX": "true",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "1",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until_serving(port, server)
    workdir = tmp / "checkout"
    workdir.mkdir()
    (workdir / ".venv").symlink_to(sys.prefix)
    (workdir / "manage.py").symlink_to(ROOT / "manage.py")
    yield workdir, port, env
    server.terminate()
    server.wait(timeout=30)


def run_block(block: str, sandbox, **extra_env: str) -> subprocess.CompletedProcess[str]:
    workdir, port, env = sandbox
    script = block.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=workdir,
        env={**env, **extra_env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def runnable(marker: str) -> list[str]:
    return [b for b in shell_blocks() if marker in b and not_run_reason(b) is None]


def json_documents(text: str) -> list[object]:
    """The JSON documents curl printed one after another (with no line break between)."""
    decoder, documents, at = json.JSONDecoder(), [], 0
    while at < len(text.rstrip()):
        document, at = decoder.raw_decode(text, at)
        documents.append(document)
        at += len(text[at:]) - len(text[at:].lstrip())
    return documents


def test_every_shell_block_is_run_below_or_has_a_reason_not_to_be():
    blocks = shell_blocks()
    assert len(blocks) >= 10
    covered = ("createsuperuser", "create_service_key", "export_profiles", "build_zendesk_app")
    for block in blocks:
        ran_below = any(name in block for name in covered) or "/sandbox/pipedrive/" in block
        assert ran_below or not_run_reason(block), block


def test_the_admin_user_command_creates_a_superuser(sandbox):
    (block,) = runnable("createsuperuser")
    result = run_block(
        block.replace("createsuperuser", "createsuperuser --noinput"),
        sandbox,
        DJANGO_SUPERUSER_USERNAME="admin",
        DJANGO_SUPERUSER_EMAIL="admin@example.com",
        DJANGO_SUPERUSER_PASSWORD="a long admin password",
    )
    assert result.returncode == 0, result.stderr
    assert "Superuser created successfully." in result.stdout


def test_the_api_commands_answer_with_the_demo_customers(sandbox):
    block, browser_key_and_rotation = runnable("create_service_key")
    result = run_block(block, sandbox)
    assert result.returncode == 0, result.stderr
    answers = json_documents(result.stdout)
    assert len(answers) == 3
    assert not any("error" in answer for answer in answers), answers
    assert "It is shown only once" in result.stderr
    result = run_block(browser_key_and_rotation, sandbox)
    assert result.returncode == 0, result.stderr
    assert [line[:4] for line in result.stdout.split()] == ["pvk_", "pvk_"]


def test_the_export_commands_write_their_files(sandbox):
    (block,) = runnable("export_profiles")
    result = run_block(block, sandbox)
    assert result.returncode == 0, result.stderr
    workdir = sandbox[0]
    assert len((workdir / "exports" / "profiles.jsonl").read_text().splitlines()) == 300
    assert (workdir / "exports" / "profiles.csv").read_text().startswith("id,")
    assert result.stdout.count("Exported 300 profiles") == 2


def test_the_zendesk_app_builds_on_a_server_and_in_sandbox_mode(sandbox):
    blocks = runnable("build_zendesk_app")
    assert len(blocks) == 2
    production = {k: v for k, v in PRODUCTION.items() if k != "SANDBOX"}
    for block, env in zip(blocks, (production, {}), strict=True):
        result = run_block(block, sandbox, **env)
        assert result.returncode == 0, result.stderr
        with zipfile.ZipFile(sandbox[0] / "dist" / "zendesk-app.zip") as app:
            assert "manifest.json" in app.namelist()


def test_the_fake_pipedrive_answers_the_readme_s_calls(sandbox):
    (block,) = runnable("/sandbox/pipedrive/")
    result = run_block(block, sandbox)
    assert result.returncode == 0, result.stderr
    person, down = json_documents(result.stdout)
    assert person["data"]["id"] == 1
    assert down["success"] is False


@pytest.mark.parametrize("command", inline_commands())
def test_each_command_named_inline_exists_and_explains_itself(command, sandbox):
    name = command.split()[-1]
    result = manage(name, "--help", env={**sandbox[2], "SANDBOX": "true"})
    assert result.returncode == 0, result.stderr
    assert "usage: manage.py" in result.stdout


def test_the_secret_one_liner_prints_a_fresh_secret():
    (line,) = re.findall(r'`(python3 -c "import secrets[^`]*)`', README)
    result = subprocess.run(["bash", "-c", line], capture_output=True, text=True, timeout=30)
    assert len(result.stdout.strip()) >= 32


def test_make_run_keeps_its_port_in_dot_env_and_commands_read_it(tmp_path):
    """Runs `make run`'s own .env line in a copy of the project, then asks its settings."""
    makefile = (ROOT / "Makefile").read_text()
    (writer,) = re.findall(
        r"^\t@(\$\(PY\) -c 'import pathlib.*?')$", makefile, re.MULTILINE | re.DOTALL
    )
    writer = writer.replace("\\\n", "").replace("$(PY)", sys.executable).replace("$(PORT)", "8123")
    # A copy, not links: the settings find .env beside their own file, links resolved.
    shutil.copy(ROOT / "manage.py", tmp_path)
    shutil.copytree(ROOT / "profileviewer", tmp_path / "profileviewer")
    (tmp_path / ".env").write_text("# mine\nPORT=9999\nTIME_ZONE=Europe/London\n")
    subprocess.run(["bash", "-c", writer], cwd=tmp_path, check=True, timeout=30)
    assert (tmp_path / ".env").read_text() == "# mine\nTIME_ZONE=Europe/London\nPORT=8123\n"
    code = (
        "from django.conf import settings;"
        "from profileviewer.agents.management.commands.runserver import Command;"
        "print(settings.INTILERY_API_URL, Command.default_port)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=tmp_path,
        env=clean_env(SANDBOX="true"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["http://127.0.0.1:8123/sandbox", "8123"], result.stderr
