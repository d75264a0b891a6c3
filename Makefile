# creditfarm — every target sets up what it needs from the project's own files (uv.lock).
SHELL := /bin/bash
UV_VERSION := 0.13.8
# uv (pinned) is installed with the machine's own pip and run as a module, so no PATH set-up.
UV := python3 -m uv
RUN := $(UV) run --frozen
PORT ?= 8501
# Every Python file of the checkout, linted and format-checked alike ([tool.mypy] files in
# pyproject.toml type-checks the same paths).
PY_PATHS := creditfarm pipelines ui app.py bench tests

.PHONY: demo test test-fast setup system-deps postgres check lint typecheck bench clean

## Quick start 1: sample county → import → train → score → the app on http://localhost:8501
demo: setup
	$(RUN) python -m pipelines demo
	$(RUN) streamlit run app.py --server.port $(PORT) --server.headless true

## Quick start 2: set up everything and run the whole test suite
test: setup system-deps postgres
	$(RUN) pytest -n 2 --dist loadfile

# The quick loop, under a minute: everything but the slow, browser and PostgreSQL tests
# (the SQLite half of every database test still runs; `make test` runs them all)
test-fast: setup system-deps
	$(RUN) pytest -n 2 --dist loadfile -m "not slow and not browser and not postgres"

# Bytecode: these machines set PYTHONDONTWRITEBYTECODE=1, so without .pyc files every start
# recompiled pandas, SQLAlchemy and the rest (`creditfarm --help` took 7-16 s). Compiled once
# here (the project's own sources too: uv installs them editable, uncompiled), not on every
# `uv run` (UV_COMPILE_BYTECODE there would re-check 10k files each time).
setup:
	@$(UV) --version 2>/dev/null | grep -q "uv $(UV_VERSION)" || \
		python3 -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	$(UV) sync --frozen --python 3.11 --compile-bytecode
	@$(RUN) python -m compileall -q creditfarm pipelines ui app.py

# Debian chromium + CJK fonts for the browser tests and server-rendered charts.
# Java 17 for the Spark engine's tests (pyspark runs local[2] on the machine's JVM).
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" \
		|| ! command -v java >/dev/null 2>&1; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk \
			openjdk-17-jre-headless >/dev/null && \
		rm -f $(HOME)/.cache/matplotlib/fontlist-*.json; \
	fi

# The PostgreSQL tests need the server on 127.0.0.1:5432; start it when it is installed but down.
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || \
		(pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start && sleep 2 && \
		 pg_isready -h 127.0.0.1 -p 5432)

check: lint typecheck

lint: setup
	$(RUN) ruff check $(PY_PATHS)
	$(RUN) ruff format --check $(PY_PATHS)

typecheck: setup
	$(RUN) mypy

bench: setup
	$(RUN) python bench/run.py

clean:
	rm -rf data .pytest_cache test-output
