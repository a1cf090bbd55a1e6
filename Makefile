# Profile Viewer. The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PORT ?= 8000
VENV ?= .venv
PY := $(VENV)/bin/python
# Django 6.1 needs Python >= 3.12; the machine's plain python3 may be older, so look for one.
PYTHON ?= $(shell for c in python3.12 python3.13 $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3) \
	$(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python3) /usr/bin/python3.12 /usr/bin/python3.13 python3; do \
	$$c -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$c; break; }; done)
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=

.PHONY: run serve test install install-dev lock chromium screenshots host-sdks lint migrate seed bench-sandbox bench-client bench-viewer bench-embed bench-api bench-throughput bench-wrk bench clean

# Installs exactly the locked versions (hashes checked), again whenever the lock changes.
$(VENV)/.installed: requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "No Python >= 3.12 found (tried python3.12, python3.13, pyenv)."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

install: $(VENV)/.installed
install-dev: install

# Upgrades every locked dependency to the newest release pyproject.toml allows; the dev lock
# starts from the runtime one, so both pin the same runtime versions.
lock: install
	$(VENV)/bin/pip-compile --quiet --upgrade --output-file requirements.txt pyproject.toml
	cp requirements.txt requirements-dev.txt
	$(VENV)/bin/pip-compile --quiet --extra dev --output-file requirements-dev.txt pyproject.toml

# Debian's chromium drives the browser tests (Playwright never downloads a browser here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests..."; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; }

# The README's pictures, in docs/screenshots/: the host simulators and a profile (the test
# suite writes its own to a temporary folder, never these tracked files).
screenshots: install-dev chromium
	$(PY) tests/browser/screenshots.py
	PV_UPDATE_SCREENSHOTS=1 $(VENV)/bin/pytest -q -p no:cacheprovider tests/browser/test_viewer.py -k screenshots

# Rebuilds static/vendor/ (and the browser tests' axe) from the exact versions in hostsdk/package-lock.json.
host-sdks:
	cd hostsdk && npm ci --no-audit --no-fund && node build.mjs

migrate: install
	SANDBOX=true $(PY) manage.py migrate --noinput

seed: migrate
	SANDBOX=true $(PY) manage.py seed_demo --if-empty

# Sets everything up and serves the app on the sandbox upstream with demo data. The port is
# kept in .env, so manage.py commands and runserver find this sandbox afterwards. One worker:
# without Redis the cache is per process, and the app waits on I/O, which threads serve.
run: install
	@$(PY) -c 'import socket, sys; busy = socket.socket().connect_ex(("127.0.0.1", $(PORT))) == 0; \
		sys.exit("Port $(PORT) is already in use: stop what serves it, or run PORT=8001 make run" if busy else 0)'
	@$(PY) -c 'import pathlib; env = pathlib.Path(".env"); \
		kept = [line for line in (env.read_text().splitlines() if env.exists() else []) if not line.startswith("PORT=")]; \
		env.write_text("\n".join([*kept, "PORT=$(PORT)"]) + "\n")'
	@export SANDBOX=true PORT=$(PORT) GUNICORN_WORKERS=$${GUNICORN_WORKERS:-1} GUNICORN_THREADS=$${GUNICORN_THREADS:-32}; \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py seed_demo --if-empty && \
	$(PY) manage.py ensure_demo_agent && \
	$(PY) manage.py collectstatic --noinput --verbosity 0 && \
	echo "" && \
	echo "  Profile Viewer:  http://127.0.0.1:$(PORT)/   (login: demo / demo, role support)" && \
	echo "  Sandbox API:     http://127.0.0.1:$(PORT)/sandbox/demo/demo/DEMO/v1/profiles" && \
	echo "                   headers: content-type: application/json, auth-token: sandbox-token" && \
	echo "" && \
	exec $(VENV)/bin/gunicorn --config gunicorn.conf.py --bind 127.0.0.1:$(PORT)

# The production server: settings from the environment or .env (README.md, Deploying), never
# the sandbox. What the container runs too, static files aside (built into the image).
serve: install
	@export SANDBOX=false DEBUG=false; \
	$(PY) manage.py collectstatic --noinput --verbosity 0 && \
	exec $(PY) manage.py serve

# Sets up and runs the whole test suite: SQLite, then the database contract tests again on
# the running PostgreSQL; Redis tests use the running Redis.
test: install-dev chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy profileviewer
	TEST_REDIS_URL=$(TEST_REDIS_URL) $(VENV)/bin/pytest $(PYTEST_ARGS)
	DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) $(VENV)/bin/pytest -m postgres $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy profileviewer

bench-sandbox: install-dev
	$(PY) tests/benchmarks/bench_sandbox.py

bench-client: install-dev
	$(PY) tests/benchmarks/bench_client.py

bench-viewer: install-dev chromium
	$(PY) tests/benchmarks/bench_viewer.py

bench-embed: install-dev chromium
	$(PY) tests/benchmarks/bench_embed.py

bench-api: install-dev
	$(PY) tests/benchmarks/bench_api.py

# Debian's wrk, the load generator of the throughput bench.
bench-wrk:
	@command -v wrk >/dev/null 2>&1 || { \
		echo "Installing Debian's wrk for the throughput bench..."; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; fi; }

bench-throughput: install-dev bench-wrk
	$(PY) tests/benchmarks/bench_throughput.py

# Every bench above, bounded to under ten minutes, into docs/benchmarks/report.md (and .json, .svg).
bench: install-dev chromium bench-wrk
	$(PY) tests/benchmarks/report.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .mypy_cache
