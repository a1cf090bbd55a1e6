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

.PHONY: run test install install-dev chromium screenshots host-sdks lint migrate seed bench-sandbox bench-client bench-viewer bench-embed bench-api bench-throughput bench-wrk bench clean

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "No Python >= 3.12 found (tried python3.12, python3.13, pyenv)."; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Debian's chromium drives the browser tests (Playwright never downloads a browser here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests..."; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; }

# Pictures of the Zendesk and Pipedrive simulators for the README, in docs/screenshots/.
screenshots: install-dev chromium
	$(PY) tests/browser/screenshots.py

# Rebuilds static/vendor/ (and the browser tests' axe) from the exact versions in hostsdk/package-lock.json.
host-sdks:
	cd hostsdk && npm ci --no-audit --no-fund && node build.mjs

migrate: install
	SANDBOX=true $(PY) manage.py migrate --noinput

seed: migrate
	SANDBOX=true $(PY) manage.py seed_demo --if-empty

# Sets everything up and serves the app on the sandbox upstream with demo data.
run: install
	@$(PY) -c 'import socket, sys; busy = socket.socket().connect_ex(("127.0.0.1", $(PORT))) == 0; \
		sys.exit("Port $(PORT) is already in use: stop what serves it, or run PORT=8001 make run" if busy else 0)'
	@export SANDBOX=true PORT=$(PORT); \
	$(PY) manage.py migrate --noinput && \
	$(PY) manage.py seed_demo --if-empty && \
	$(PY) manage.py ensure_demo_agent && \
	$(PY) manage.py collectstatic --noinput --verbosity 0 && \
	echo "" && \
	echo "  Profile Viewer:  http://127.0.0.1:$(PORT)/   (login: demo / demo)" && \
	echo "  Sandbox API:     http://127.0.0.1:$(PORT)/sandbox/demo/demo/DEMO/v1/profiles" && \
	echo "                   headers: content-type: application/json, auth-token: sandbox-token" && \
	echo "" && \
	exec $(VENV)/bin/gunicorn profileviewer.wsgi:application --bind 127.0.0.1:$(PORT) \
		--workers 1 --threads 32 --worker-class gthread --timeout 60 --access-logfile - \
		--limit-request-line 0 --keep-alive 30

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
