# CDF Workflow Analytics: the contract's three entry points (install, demo, test) and helpers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8765

.PHONY: install demo test lint format bench clean

install: $(STAMP)

# Re-install only when the pins or the project metadata change, so `make install` is quick
# when nothing changed. uv comes from PyPI like everything else.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.8
	@$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock
	@$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)
	@echo "installed into $(VENV)/"

demo: install
	@$(BIN)/workflow-analytics demo

test: install
	@$(BIN)/python -m pytest -n 2 -q

lint: install
	@$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: install
	@$(BIN)/ruff check --fix . && $(BIN)/ruff format .

# Benchmarks need their peers (dlt, psutil, profilers): installed from their own lock, a
# superset of requirements.lock, only when benchmarking.
bench: install
	@$(BIN)/uv pip install -q --python $(BIN)/python -r requirements-bench.lock
	@$(BIN)/python -m benchmarks.run

# Regenerate the lock files after changing dependencies in pyproject.toml.
lock: install
	@$(BIN)/uv pip compile pyproject.toml --extra dev -o requirements.lock -q --python-version 3.11
	@$(BIN)/uv pip compile pyproject.toml --extra dev --extra bench -o requirements-bench.lock \
		-q --python-version 3.11 -c requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache
