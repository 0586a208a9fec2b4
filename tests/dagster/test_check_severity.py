"""Check severities: what the source sent warns and the run succeeds; what we wrote fails it.

A simulator world is served over real HTTP through ``Tamper``, which answers the details of a few
executions with clock-skewed copies of the simulator's own records: tasks ending 30 s after their
execution ended, and a ``startTime`` 86 ms before ``createdTime`` (as in the live capture). The
nightly run, through ``dg.materialize`` and through ``workflow-analytics ingest``, must succeed,
keep every record as sent and report the anomalies; a key broken on purpose in the DuckDB file
between runs must still fail the next run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import orjson
import pytest

from assets.checks import ALL_CHECKS, CHECK_NAMES
from assets.ingest import cdf_incremental_ingest
from assets.views import analytics_views
from cdf_simulator import Simulator, create_app
from tests.support.breakage import DUPLICATE_TASK_ROW, STAMP_FIRST_TASK_EXECUTION_NOW
from tests.support.dagster import resources_for
from tests.support.reliability import tiny_sim
from tests.support.tamper import Tamper, serve_asgi
from warehouse.schema import TERMINAL_EXECUTION_STATUSES
from warehouse.store import Warehouse

CLI = Path(sys.executable).parent / "workflow-analytics"
TASK_LATE_MS = 30_000
START_EARLY_MS = 86
LATE_EXECUTIONS = 4
EARLY_EXECUTIONS = 3


class SkewedWorld:
    def __init__(self) -> None:
        self.sim: Simulator = tiny_sim()
        self.details: dict[str, bytes] = {}
        self.late: list[str] = []
        self.early: list[str] = []
        # What the warnings must count: the simulator's own small skews plus the injected ones.
        self.skewed_executions: list[int] = []
        self.tasks_outside: list[int] = []
        now = self.sim.clock.now_ms()
        world = self.sim.world
        for pos in range(len(world.timeline.keys)):
            if not world.visible(pos, now):
                continue
            record = orjson.loads(world.detail_bytes(pos, now))
            self._skew(record)
            self._count(record)
        self.visible = world.count_visible(now)

    def _skew(self, record: dict[str, Any]) -> None:
        if len(self.early) < EARLY_EXECUTIONS:
            ended = [t for t in record.get("executedTasks", []) if t.get("endTime")]
            if (
                record["status"] not in TERMINAL_EXECUTION_STATUSES
                or not ended
                or not record.get("endTime")
            ):
                return
            if len(self.late) < LATE_EXECUTIONS:
                last = max(ended, key=lambda t: t["endTime"])
                last["endTime"] = record["endTime"] + TASK_LATE_MS
                self.late.append(record["id"])
            else:
                record["startTime"] = record["createdTime"] - START_EARLY_MS
                self.early.append(record["id"])
            self.details[record["id"]] = orjson.dumps(record)

    def _count(self, e: dict[str, Any]) -> None:
        created, start, end = e["createdTime"], e.get("startTime"), e.get("endTime")
        skew = [created - start if start is not None and start < created else 0]
        if start is not None and end is not None and end < start:
            skew.append(start - end)
        if max(skew) > 0:
            self.skewed_executions.append(max(skew))
        for t in e.get("executedTasks", []):
            outside = [0]
            if t.get("startTime") is not None and t["startTime"] < created:
                outside.append(created - t["startTime"])
            if t.get("endTime") is not None and end is not None and t["endTime"] > end:
                outside.append(t["endTime"] - end)
            if max(outside) > 0:
                self.tasks_outside.append(max(outside))

    def warning_lines(self) -> list[str]:
        return [
            f"warning: execution_clock_skew: {len(self.skewed_executions)} executions with "
            f"start before created or end before start (up to {max(self.skewed_executions):,} "
            "ms)",
            f"warning: task_times_inside_execution: {len(self.tasks_outside)} task rows outside "
            f"their execution's time window (up to {max(self.tasks_outside):,} ms)",
        ]


@pytest.fixture
def skewed() -> SkewedWorld:
    return SkewedWorld()


@pytest.fixture
def skewed_url(skewed: SkewedWorld) -> Iterator[str]:
    with serve_asgi(Tamper(create_app(skewed.sim), details=skewed.details)) as url:
        yield url


def _nightly(resources: dict[str, Any]) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        [cdf_incremental_ingest, analytics_views, *ALL_CHECKS],
        resources=resources,
        raise_on_error=False,
    )


def _evaluations(result: dg.ExecuteInProcessResult) -> dict[str, Any]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def _assert_stored_as_sent(directory: Path, skewed: SkewedWorld) -> None:
    with Warehouse(directory, read_only=True) as wh:
        con = wh.connection
        executions = con.execute("SELECT count(*) FROM workflow_executions").fetchone()
        assert executions is not None and executions[0] == skewed.visible
        late = con.execute(
            "SELECT DISTINCT t.execution_id FROM task_executions t "
            "JOIN workflow_executions e USING (cdf_project, execution_id) "
            "WHERE date_sub('millisecond', e.end_time, t.end_time) = $ms",
            {"ms": TASK_LATE_MS},
        ).fetchall()
        assert sorted(r[0] for r in late) == sorted(skewed.late)
        early = con.execute(
            "SELECT execution_id FROM workflow_executions "
            "WHERE date_sub('millisecond', start_time, created_time) = $ms",
            {"ms": START_EARLY_MS},
        ).fetchall()
        assert sorted(r[0] for r in early) == sorted(skewed.early)


def test_skewed_source_warns_and_the_dagster_run_succeeds(
    skewed: SkewedWorld, skewed_url: str, tmp_path: Path
) -> None:
    directory = tmp_path / "wh"
    result = _nightly(resources_for(skewed_url, directory))
    assert result.success
    checks = _evaluations(result)
    assert len(checks) == len(CHECK_NAMES)
    failed = {name for name, e in checks.items() if not e.passed}
    assert failed == {"task_times_inside_execution", "execution_clock_skew"}
    for name in failed:
        assert checks[name].severity == dg.AssetCheckSeverity.WARN
    late = checks["task_times_inside_execution"].metadata
    assert late["failing_rows"].value == len(skewed.tasks_outside) >= LATE_EXECUTIONS
    assert late["worst"].value == max(skewed.tasks_outside) == TASK_LATE_MS
    assert "examples" in late
    early = checks["execution_clock_skew"].metadata
    assert early["failing_rows"].value == len(skewed.skewed_executions) >= EARLY_EXECUTIONS
    assert early["worst"].value == max(skewed.skewed_executions) >= START_EARLY_MS
    materialized = {
        e.materialization.asset_key.to_user_string()
        for e in result.get_asset_materialization_events()
        if e.materialization is not None
    }
    assert {"workflow_daily_sla", "workflow_incidents", "critical_paths"} <= materialized
    _assert_stored_as_sent(directory, skewed)


def _cli(url: str, directory: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "WAREHOUSE_DIR": str(directory),
        "CDF_URL": url,
        "CDF_PROJECT": "test-project",
        "IDP_TOKEN_URL": f"{url}/oauth2/token",
        "IDP_CLIENT_ID": "c",
        "IDP_CLIENT_SECRET": "s",
    }
    return subprocess.run(
        [str(CLI), "ingest", "--quiet"], env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.integration
def test_cli_exits_0_with_one_line_per_warning_and_1_when_a_key_breaks(
    skewed: SkewedWorld, skewed_url: str, tmp_path: Path
) -> None:
    directory = tmp_path / "wh"
    first = _cli(skewed_url, directory, tmp_path)
    assert first.returncode == 0, first.stderr
    warnings = [line for line in first.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == skewed.warning_lines()
    assert first.stdout.startswith("done in "), first.stdout
    _assert_stored_as_sent(directory, skewed)

    # Our own output broken between runs: a task row written twice.
    with Warehouse(directory) as wh:
        wh.connection.execute(DUPLICATE_TASK_ROW)
        wh.connection.execute(STAMP_FIRST_TASK_EXECUTION_NOW)
    second = _cli(skewed_url, directory, tmp_path)
    assert second.returncode == 1
    errors = [line for line in second.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1
    assert errors[0].startswith("error: asset checks failed: ")
    assert "tasks_key_unique" in errors[0]
    # The warnings are not errors: they do not appear among the failed checks.
    assert "task_times_inside_execution" not in errors[0]
