# Parley's two commands: `make run` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# Each suite pass runs on two pytest-xdist workers (this machine's two cores); PYTEST_PARALLEL= runs it in one process.
PYTEST_PARALLEL ?= -n 2
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint test-sqlite test-postgres chromium bench bench-smoke lock audit

## make run: set up .venv, open (or create) the SQLite store, start the main job.
run: $(VENV)/.runtime
	$(PY) server.py

## make test: set up .venv with the dev tools, install chromium if missing, run everything.
test: $(VENV)/.dev chromium lint bench-smoke test-sqlite test-postgres

## make bench: the benchmarks at full size; each records its tables in BENCHMARKS.md.
bench: $(VENV)/.dev
	$(PY) bench/load.py
	$(PY) bench/store.py
	$(PY) bench/webapp.py
	$(PY) bench/authenticity.py
	$(PY) bench/flood.py

## make bench-smoke: the same benchmarks, small; they check correctness only (no times).
bench-smoke: $(VENV)/.dev
	env -u PARLEY_DATABASE_URL $(PY) bench/load.py --smoke
	env -u PARLEY_DATABASE_URL $(PY) bench/store.py --smoke
	env -u PARLEY_DATABASE_URL $(PY) bench/webapp.py --smoke
	env -u PARLEY_DATABASE_URL $(PY) bench/authenticity.py --smoke
	env -u PARLEY_DATABASE_URL $(PY) bench/flood.py --smoke

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Installs come from the locks: every package pinned, with its hashes checked.
$(VENV)/.runtime: requirements.lock | $(VENV)/bin/python
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.dev: requirements-dev.lock | $(VENV)/bin/python
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@ $(VENV)/.runtime

## make lock: after changing requirements*.txt, pin every package again with its hashes.
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock: $(VENV)/.dev
	$(VENV)/bin/pip-compile $(LOCK_FLAGS) --output-file requirements.lock requirements.txt
	$(VENV)/bin/pip-compile $(LOCK_FLAGS) --output-file requirements-dev.lock requirements-dev.txt

## make audit: known vulnerabilities in the locked packages (says so when it cannot check).
audit: $(VENV)/.dev
	$(PY) tools/audit.py

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

test-sqlite: $(VENV)/.dev
	env -u PARLEY_DATABASE_URL $(PY) -m pytest $(PYTEST_PARALLEL)

# The whole suite again on PostgreSQL. Skipped (with the reason printed) only when no
# server answers and this is not CI; on CI a missing server is a failure.
test-postgres: $(VENV)/.dev
	@if $(PY) -m tests.support.postgres_available "$(PG_URL)"; then \
	  echo "Running the suite again on PostgreSQL ($(PG_URL))"; \
	  PARLEY_DATABASE_URL="$(PG_URL)" $(PY) -m pytest $(PYTEST_PARALLEL); \
	elif [ -n "$$CI" ]; then \
	  echo "PostgreSQL does not answer at $(PG_URL); CI must run the PostgreSQL suite."; exit 1; \
	else \
	  echo "SKIPPED the PostgreSQL suite: no server answers at $(PG_URL)."; \
	fi
