# CDF Workflow Analytics: the contract's three entry points (install, demo, test) and helpers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8765

PACKAGES := cdf_client cdf_simulator warehouse ingest alerts workflow_analytics assets pipelines

.PHONY: install demo test lint format bench clean chromium report

install: $(STAMP)

# Re-install only when the pins, the project metadata or this recipe change, so `make install`
# is quick when nothing changed. uv comes from PyPI like everything else.
# Bytecode is compiled here, once: where PYTHONDONTWRITEBYTECODE=1 is set (many machines and
# container images) Python never caches it, and every process would compile Dagster again. uv
# compiles only what it installs, so a venv made before this gets its packages reinstalled once.
$(STAMP): pyproject.toml requirements.lock Makefile
	@scripts/need-python $(PYTHON)
	@echo "make install: installing the pinned packages into .venv and compiling their bytecode (about a minute the first time)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.8
	@$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -r requirements.lock
	@ls $(VENV)/lib/python3*/site-packages/dagster/__pycache__/__init__.*.pyc >/dev/null 2>&1 || \
		$(BIN)/uv pip install -q --reinstall --compile-bytecode --python $(BIN)/python -r requirements.lock
	@$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@$(BIN)/python -m compileall -q -j 0 $(PACKAGES)
	@touch $(STAMP)
	@echo "installed into $(VENV)/"

demo: install
	@$(BIN)/workflow-analytics demo

# The static HTML report of WAREHOUSE_DIR: opens offline (no CDN, unlike `marimo export html`).
# Filters: make report REPORT_ARGS="--workflow etl --since 2026-01-01".
report: install
	@$(BIN)/workflow-analytics report $(REPORT_ARGS)

# Two tests render in headless Chromium: installed from Debian's package when apt-get is there.
test: install chromium
	@$(BIN)/python -m pytest -n 2 -q

chromium:
	@scripts/need-chromium

lint: install
	@$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports --no-cache --no-logo
	@scripts/module-size

format: install
	@$(BIN)/ruff check --fix . && $(BIN)/ruff format .

# Benchmarks need their peers (dlt, psutil, profilers): installed from their own lock, a
# superset of requirements.lock, only when benchmarking.
bench: install
	@$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -r requirements-bench.lock
	@$(BIN)/python -m benchmarks.run

# Regenerate the lock files after changing dependencies in pyproject.toml. The runtime lock (no
# test or bench tools) is what the Dockerfile installs; its pins are requirements.lock's.
lock: install
	@$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements.lock -q --python-version 3.11
	@$(BIN)/uv pip compile pyproject.toml --extra dev --extra bench -o requirements-bench.lock \
		-q --python-version 3.11 -c requirements.lock
	@$(BIN)/uv pip compile pyproject.toml -o requirements-runtime.lock \
		-q --python-version 3.11 -c requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache
