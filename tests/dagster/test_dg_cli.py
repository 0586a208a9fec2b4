"""The `dg` command line on the code location, as the README gives its commands: run from the
repository root with the environment's `dg`, with a DAGSTER_HOME holding the repository's
`dagster.yaml`. Each command succeeds and prints no warning of Dagster's or of Python's."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from cdf_simulator import FaultConfig, Simulator, SimulatorConfig, run_server

REPO = Path(__file__).resolve().parents[2]
DG = Path(sys.executable).parent / "dg"
# Python's warning categories (DeprecationWarning, Dagster's SupersessionWarning, BetaWarning,
# PreviewWarning, ...), dg's own warnings, Dagster's logged warnings and its first-run notice.
WARNING = re.compile(
    r"[A-Za-z]+Warning\b|To suppress this warning|- WARNING -|Telemetry:|Welcome to Dagster"
)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    home = tmp_path / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path / "home"),
        "DAGSTER_HOME": str(home),
        "WAREHOUSE_DIR": str(tmp_path / "warehouse"),
        # Deprecations are hidden outside __main__ unless asked for; Dagster's others show anyway.
        # Except sqlglotrs's about itself: it comes only with the benchmarks' dagster-dbt
        # (`make bench`: sqlglot[rs]), whose dg plugin imports it, and is not ours to change.
        "PYTHONWARNINGS": "default::DeprecationWarning,ignore::DeprecationWarning:sqlglotrs",
        **extra,
    }


def _dg(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    result = subprocess.run(
        [str(DG), *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    warnings = sorted({m.group(0) for m in WARNING.finditer(output)})
    assert not warnings, f"dg {' '.join(args)} warned ({warnings}):\n{output}"
    return result.stdout


@pytest.mark.slow
def test_dg_check_defs_loads_the_code_location_without_warnings(tmp_path: Path) -> None:
    out = _dg(_env(tmp_path), "check", "defs")
    assert "All definitions loaded successfully" in out


@pytest.mark.slow
def test_dg_without_dagster_home_is_quiet_with_the_readmes_dg_toml(tmp_path: Path) -> None:
    env = _env(tmp_path)
    del env["DAGSTER_HOME"]
    home = Path(env["HOME"])
    home.mkdir()
    readme = (
        "mkdir -p ~/.config && printf '[cli.telemetry]\\nenabled = false\\n' >> ~/.config/dg.toml"
    )
    assert readme in (REPO / "README.md").read_text()
    subprocess.run(["sh", "-c", readme], env=env, check=True)
    out = _dg(env, "check", "defs")
    assert "All definitions loaded successfully" in out
    assert not (home / ".dagster" / "logs").exists()


@pytest.mark.slow
def test_dg_list_defs_names_the_jobs_and_the_schedule(tmp_path: Path) -> None:
    listed = json.loads(_dg(_env(tmp_path), "list", "defs", "--json"))
    jobs = {j["name"] for j in listed["jobs"]}
    assert {"nightly_ingest", "history_backfill_job"} <= jobs
    assert [s["name"] for s in listed["schedules"]] == ["nightly_ingest_schedule"]
    assets = {a["asset_key"] for a in listed["assets"]}
    assert {"workflow_executions", "history_backfill", "workflow_alerts"} <= assets


@pytest.fixture(scope="module")
def tiny_sim_url() -> Iterator[str]:
    config = SimulatorConfig(
        seed=3,
        project="dg-project",
        workflows=3,
        executions_per_day=3.0,
        history_days=3,
        now_ms=1_790_000_000_000,
        faults=FaultConfig(),
    )
    with run_server(Simulator(config)) as url:
        yield url


@pytest.mark.slow
@pytest.mark.integration
def test_dg_launch_runs_the_nightly_job_against_the_simulator(
    tiny_sim_url: str, tmp_path: Path
) -> None:
    env = _env(
        tmp_path,
        CDF_URL=tiny_sim_url,
        CDF_PROJECT="dg-project",
        IDP_TOKEN_URL=f"{tiny_sim_url}/oauth2/token",
        IDP_CLIENT_ID="dg-test",
        IDP_CLIENT_SECRET="dg-test-secret",
    )
    _dg(env, "launch", "--job", "nightly_ingest", timeout=500)
    with duckdb.connect(str(tmp_path / "warehouse" / "workflows.duckdb"), read_only=True) as con:
        executions = con.execute("SELECT count(*) FROM workflow_executions").fetchone()
        tasks = con.execute("SELECT count(*) FROM task_executions").fetchone()
        views = con.execute(
            "SELECT count(*) FROM duckdb_views() WHERE view_name = 'workflow_daily_sla'"
        ).fetchone()
    assert executions is not None and executions[0] > 0
    assert tasks is not None and tasks[0] > 0
    assert views == (1,)
