"""Commands import only what they use: `--help` and a configuration error answer without
Dagster, polars, matplotlib or the simulator; `sql` without Dagster or matplotlib."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.store import Warehouse

HEAVY = ("dagster", "polars", "matplotlib", "cdf_simulator", "marimo", "uvicorn")
PROBE = f"""
import sys
sys.argv = ["workflow-analytics", *sys.argv[1:]]
from workflow_analytics.cli import run
code = run()
print("LOADED", code, ",".join(m for m in {HEAVY!r} if m in sys.modules))
"""


def _loaded(env: dict[str, str], *args: str) -> tuple[int, set[str]]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True, timeout=120
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("LOADED"))
    _, code, names = [*line.split(" ", 2), ""][:3]
    return int(code or 0), {n for n in names.split(",") if n}


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDF_", "IDP_"))}
    return {**env, **extra}


def test_help_loads_nothing_heavy() -> None:
    code, loaded = _loaded(_env(), "--help")
    assert code == 0 and loaded == set()


def test_a_configuration_error_loads_nothing_heavy(tmp_path: Path) -> None:
    code, loaded = _loaded(_env(WAREHOUSE_DIR=str(tmp_path / "wh")), "ingest")
    assert code == 2 and loaded == set()


@pytest.mark.parametrize("command", ["report", "simulate"])
def test_a_command_loads_its_own_module_when_it_runs(command: str) -> None:
    code, loaded = _loaded(_env(), command, "--help")
    assert code == 0
    assert ("matplotlib" in loaded) == (command == "report")
    assert ("cdf_simulator" in loaded) == (command == "simulate")


def test_sql_does_not_load_dagster_or_the_report(tmp_path: Path) -> None:
    with Warehouse(tmp_path / "wh") as wh:
        wh.ensure_schema()
    code, loaded = _loaded(_env(WAREHOUSE_DIR=str(tmp_path / "wh")), "sql", "SELECT 42")
    assert code == 0
    assert not loaded & {"dagster", "matplotlib", "cdf_simulator", "marimo"}
