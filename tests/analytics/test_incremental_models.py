"""Each incremental model's table equals its full definition (EXCEPT ALL both ways) after a
first load, after nights with new, late and changed runs, after a changed definition and after
a full refresh; and a night recomputes only what it touched."""

from __future__ import annotations

from pathlib import Path

import duckdb
import httpx
import pytest

import warehouse.analytics.recompute as recompute_module
from cdf_client.config import CdfConfig
from cdf_simulator import Simulator
from ingest.executions import IngestSettings
from ingest.runner import run_ingest
from tests.support.analytics_tables import (
    assert_equal_to_definitions,
    assert_parquet_holds_the_tables,
)
from tests.support.detail_records import DAY_MS, execution, ms, task_definition, task_execution
from tests.support.parquet import NOW
from tests.support.sim import HOUR_MS
from warehouse.analytics.build import (
    EXECUTION_SLICE,
    FULL,
    INCREMENTAL,
    UNCHANGED,
    WORKFLOW_SLICE,
    BuildReport,
    build_models,
)
from warehouse.flatten import flatten_details
from warehouse.sla_targets import install_sla
from warehouse.store import Warehouse


def _modes(report: BuildReport) -> dict[str, str]:
    return {m.name: m.mode for m in report.models if m.mode != "view"}


def _night(config: CdfConfig, directory: Path, transport: httpx.AsyncBaseTransport) -> BuildReport:
    run_ingest(config, directory, IngestSettings(), transport=transport)
    with Warehouse(directory) as wh:
        report = build_models(wh.connection)
        assert_equal_to_definitions(wh.connection)
        wh.flush()
    assert_parquet_holds_the_tables(directory)
    return report


def _out_of_time_order(con: duckdb.DuckDBPyConnection, after_row: int = -1) -> tuple[int, int]:
    """flaky_task_runs' rows stored after ``after_row`` (in the order stored) that come before
    the row stored ahead of them by (execution_created_time, execution_id), and those rows."""
    row = con.execute(
        "SELECT count(*) FILTER (WHERE back), count(*) FROM ("
        "  SELECT (execution_created_time, execution_id)"
        "    < lag((execution_created_time, execution_id)) OVER (ORDER BY rowid) AS back"
        "  FROM flaky_task_runs WHERE rowid > $after)",
        {"after": after_row},
    ).fetchall()[0]
    return int(row[0]), int(row[1])


def _last_row(warehouse_path: Path) -> int:
    with Warehouse(warehouse_path, read_only=True) as wh:
        return int(wh.connection.execute("SELECT max(rowid) FROM flaky_task_runs").fetchall()[0][0])


def test_simulated_nights_keep_every_table_equal_to_its_definition(
    sim: Simulator,
    transport: httpx.ASGITransport,
    inprocess_config: CdfConfig,
    warehouse_path: Path,
) -> None:
    first = _night(inprocess_config, warehouse_path, transport)
    assert set(_modes(first).values()) == {FULL}
    with Warehouse(warehouse_path, read_only=True) as wh:
        stored = wh.connection.execute("SELECT count(*) FROM workflow_executions").fetchall()[0][0]
        # Written in its order_by, so filters on time skip row groups (flaky_task_runs.sql).
        back, rows = _out_of_time_order(wh.connection)
        assert back == 0 and rows > 100
    for hours in (12, 30):
        sim.clock.advance(hours * HOUR_MS)
        last_row = _last_row(warehouse_path)
        night = _night(inprocess_config, warehouse_path, transport)
        assert night.pending > 0
        assert set(_modes(night).values()) == {INCREMENTAL}
        # Per execution: only the executions written that night are recomputed.
        assert 0 < night.by_name()["critical_paths"].scope < stored  # type: ignore[operator]
        # The night's own rows are appended in the same order.
        with Warehouse(warehouse_path, read_only=True) as wh:
            back, rows = _out_of_time_order(wh.connection, last_row)
            assert back == 0 and rows > 0
    quiet = _night(inprocess_config, warehouse_path, transport)
    assert quiet.pending == 0
    assert set(_modes(quiet).values()) == {UNCHANGED}
    with Warehouse(warehouse_path) as wh:
        again = build_models(wh.connection, full_refresh=True)
        assert set(_modes(again).values()) == {FULL}
        assert_equal_to_definitions(wh.connection)
        assert _out_of_time_order(wh.connection)[0] == 0


DAY1 = ms("2024-05-01T10:00:00")


def _tasks(owner: str, start: int, statuses: list[str]) -> list[dict]:
    out = []
    for i, status in enumerate(statuses):
        out.append(
            task_execution(
                f"t{i}",
                status=status,
                start=start + i * 60_000,
                end=start + (i + 1) * 60_000,
                task_id=f"{owner}-{i}",
            )
        )
    return out


def _definitions(count: int) -> list[dict]:
    return [task_definition(f"t{i}", depends_on=[f"t{i - 1}"] if i else []) for i in range(count)]


def _night_one() -> list[dict]:
    return [
        execution(execution_id="A", status="RUNNING", created=DAY1, start=DAY1,
                  tasks=_tasks("A", DAY1, ["COMPLETED"]), definitions=_definitions(3)),
        execution(execution_id="B", workflow="wf-moved", created=DAY1 + 1000, start=DAY1 + 1000,
                  end=DAY1 + 200_000,
                  tasks=_tasks("B", DAY1 + 1000, ["COMPLETED", "COMPLETED"]),
                  definitions=_definitions(3)),
        execution(execution_id="C", workflow="wf-b", status="FAILED", created=DAY1 + DAY_MS,
                  start=DAY1 + DAY_MS, end=DAY1 + DAY_MS + 300_000,
                  tasks=[*_tasks("C", DAY1 + DAY_MS, ["FAILED"]),
                         task_execution("t0", status="COMPLETED", start=DAY1 + DAY_MS + 90_000,
                                        end=DAY1 + DAY_MS + 95_000, task_id="C-retry")],
                  definitions=_definitions(1), definition_hash="hash-c"),
        # Its definition's tasks arrive only with a later run of the same hash.
        execution(execution_id="D", workflow="wf-c", created=DAY1, start=DAY1, end=DAY1 + 5000,
                  tasks=_tasks("D", DAY1, ["COMPLETED"]), definitions=[],
                  definition_hash="hash-late"),
    ]  # fmt: skip


def _night_two() -> list[dict]:
    return [
        # A finished: its first task's row changed and two rows were added.
        execution(execution_id="A", status="COMPLETED", created=DAY1, start=DAY1,
                  end=DAY1 + 400_000, tasks=_tasks("A", DAY1, ["FAILED", "COMPLETED", "COMPLETED"]),
                  definitions=_definitions(3)),
        # B moved to another day and workflow: its old group (where it was alone) must be
        # recomputed too.
        execution(execution_id="B", workflow="wf-b", created=DAY1 + 2 * DAY_MS,
                  start=DAY1 + 2 * DAY_MS,
                  end=DAY1 + 2 * DAY_MS + 9000,
                  tasks=_tasks("B", DAY1 + 2 * DAY_MS, ["COMPLETED", "FAILED", "COMPLETED"]),
                  definitions=_definitions(3)),
        # A late run, created before everything stored so far.
        execution(execution_id="E", workflow="wf-b", status="COMPLETED", created=DAY1 - DAY_MS,
                  start=DAY1 - DAY_MS, end=DAY1 - DAY_MS + 60_000,
                  tasks=_tasks("E", DAY1 - DAY_MS, ["COMPLETED"]), definitions=_definitions(1),
                  definition_hash="hash-c"),
        # The definition D used, now with its tasks.
        execution(execution_id="F", workflow="wf-c", created=DAY1 + 3 * DAY_MS,
                  start=DAY1 + 3 * DAY_MS, end=DAY1 + 3 * DAY_MS + 5000,
                  tasks=_tasks("F", DAY1 + 3 * DAY_MS, ["COMPLETED"]),
                  definitions=_definitions(1), definition_hash="hash-late"),
    ]  # fmt: skip


def _apply_and_build(wh: Warehouse, records: list[dict], **options: bool | int) -> BuildReport:
    wh.apply_batch(flatten_details(records, ingested_at=NOW))
    report = build_models(wh.connection, **options)
    assert_equal_to_definitions(wh.connection)
    return report


# An incremental recomputation bigger than its slice runs in slices of its touched keys (one
# or two executions, or workflows, here); the tables must equal their definitions either way.
# (critical_paths' scope of 5 is asserted below.)
# With a quiet workflow's runs stored beside them, the night touches less than half of the
# executions: a table kept per workflow is then recomputed for the touched workflows only, not
# replaced by its whole definition.
@pytest.mark.parametrize("quiet_runs", [0, 12])
@pytest.mark.parametrize("incremental_slice", [WORKFLOW_SLICE, 1, 2])
def test_late_and_changed_runs_and_late_definitions(
    tmp_path: Path, incremental_slice: int, quiet_runs: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Which way each per-workflow table was recomputed: replaced whole (True) or restricted.
    replaced: list[bool] = []
    choose = recompute_module._mostly_touched

    def recorded(*args: object) -> bool:
        replaced.append(choose(*args))  # type: ignore[arg-type]
        return replaced[-1]

    monkeypatch.setattr(recompute_module, "_mostly_touched", recorded)
    with Warehouse(tmp_path) as wh:
        wh.ensure_schema()
        con = wh.connection
        quiet = [_run(f"Q{i}", "wf-quiet", i / 4, "COMPLETED") for i in range(quiet_runs)]
        _apply_and_build(wh, [*_night_one(), *quiet])
        status = "SELECT path_status FROM critical_paths WHERE execution_id = 'D'"
        assert con.execute(status).fetchall() == [("no_definition",)]

        night = _apply_and_build(
            wh,
            _night_two(),
            workflow_slice_size=incremental_slice,  # models kept per workflow
            slice_size=min(incremental_slice, EXECUTION_SLICE),  # kept per execution
        )
        assert set(_modes(night).values()) == {INCREMENTAL}
        # Each kind (per workflow, its tail, per execution) recomputed more executions than one
        # slice of one or two holds.
        for name in ("task_hot_spots", "flaky_task_runs"):
            assert night.by_name()[name].scope > 2, name  # type: ignore[operator]
        touched = night.by_name()["task_hot_spots"].scope
        stored = con.execute("SELECT count(*) FROM workflow_executions").fetchall()[0][0]
        assert (2 * touched < stored) == (quiet_runs > 0)  # type: ignore[operator]
        # task_hot_spots, the one per-workflow table recomputed by touched keys: replaced whole
        # only when the night touched most executions and one query holds them.
        assert replaced == [quiet_runs == 0 and incremental_slice == WORKFLOW_SLICE]
        # D was not in the batch; the definition that arrived made its path computable.
        assert con.execute(status).fetchall() == [("ok",)]
        assert night.by_name()["critical_paths"].scope == 5  # A, B, E, F and D

        unchanged = build_models(con)
        assert unchanged.pending == 0 and set(_modes(unchanged).values()) == {UNCHANGED}
        # A whole rebuild in slices of one and of two executions (or workflows) equals too.
        for size in (1, 2):
            again = build_models(con, full_refresh=True, slice_size=size, workflow_slice_size=size)
            assert set(_modes(again).values()) == {FULL}
            assert_equal_to_definitions(con)


def test_a_changed_definition_rebuilds_that_model_whole(tmp_path: Path) -> None:
    with Warehouse(tmp_path) as wh:
        wh.ensure_schema()
        con = wh.connection
        _apply_and_build(wh, _night_one())
        # As after an upgrade that changed the SQL of task_outcomes: its stored fingerprint no
        # longer matches.
        con.execute("UPDATE _analytics_models SET fingerprint = 'old' WHERE name = 'task_outcomes'")
        night = _apply_and_build(wh, _night_two())
        modes = _modes(night)
        assert modes.pop("task_outcomes") == FULL
        assert set(modes.values()) == {INCREMENTAL}
        again = _apply_and_build(wh, [], full_refresh=True)
        assert set(_modes(again).values()) == {FULL}


def test_a_failed_build_keeps_the_pending_executions(tmp_path: Path) -> None:
    with Warehouse(tmp_path) as wh:
        wh.ensure_schema()
        con = wh.connection
        _apply_and_build(wh, _night_one())
        wh.apply_batch(flatten_details(_night_two(), ingested_at=NOW))
        pending = con.execute("SELECT count(*) FROM _analytics_pending").fetchall()[0][0]
        assert pending > 0
        # A table the build cannot write into (a column it no longer has) fails the build.
        con.execute("ALTER TABLE critical_paths DROP COLUMN dominant_share")
        try:
            build_models(con)
        except duckdb.Error:
            pass
        else:
            raise AssertionError("the build should have failed")
        left = con.execute("SELECT count(*) FROM _analytics_pending").fetchall()[0][0]
        assert left == pending
        rebuilt = build_models(con, full_refresh=True)
        assert rebuilt.pending == pending
        assert_equal_to_definitions(con)


def test_a_build_with_nothing_new_writes_nothing(tmp_path: Path) -> None:
    targets = tmp_path / "sla_targets.csv"
    targets.write_text("workflow_external_id,max_duration_minutes,deadline_utc,note\n*,p95,,\n")

    def nightly_analytics() -> BuildReport:
        with Warehouse(tmp_path / "wh") as wh:
            wh.ensure_schema()
            install_sla(wh.connection, targets)
            report = build_models(wh.connection)
            wh.flush()
        return report

    with Warehouse(tmp_path / "wh") as wh:
        wh.ensure_schema()
        wh.apply_batch(flatten_details(_night_one(), ingested_at=NOW))
    assert set(_modes(nightly_analytics()).values()) == {FULL}
    database = tmp_path / "wh" / "workflows.duckdb"
    before = database.read_bytes()
    # Views, SLA targets, tables and Parquet as they were: the file is not even checkpointed.
    assert set(_modes(nightly_analytics()).values()) == {UNCHANGED}
    assert database.read_bytes() == before


def _run(execution_id: str, workflow: str, day: float, task_status: str) -> dict:
    created = DAY1 + int(day * DAY_MS)
    return execution(
        execution_id=execution_id, workflow=workflow, created=created, start=created,
        end=created + 60_000, tasks=_tasks(execution_id, created, [task_status]),
        definitions=_definitions(1),
    )  # fmt: skip


def test_a_night_recomputes_flaky_runs_from_the_last_decided_run_however_old(
    tmp_path: Path,
) -> None:
    """A new success is the next decided outcome of the task's last failure, with skipped runs
    (no decided outcome) after that failure: the failure's row must be recomputed, whether it
    lies within a week of the night's first run (found among that week's runs) or further back
    (found in the task's whole history)."""
    with Warehouse(tmp_path) as wh:
        wh.ensure_schema()
        con = wh.connection
        _apply_and_build(
            wh,
            [
                _run("old-0", "wf-old", -1, "COMPLETED"),
                _run("old-1", "wf-old", 0, "FAILED"),
                _run("old-2", "wf-old", 9, "SKIPPED"),
                _run("old-3", "wf-old", 10, "SKIPPED"),
                _run("recent-0", "wf-recent", 7, "COMPLETED"),
                _run("recent-1", "wf-recent", 8, "FAILED"),
                _run("recent-2", "wf-recent", 10, "SKIPPED"),
            ],
        )
        night = _apply_and_build(
            wh,
            [
                _run("old-4", "wf-old", 11, "COMPLETED"),
                _run("recent-3", "wf-recent", 11, "COMPLETED"),
            ],
        )
        # From each failure on (not the success before it): 4 + 3 of the 9 executions.
        assert night.by_name()["flaky_task_runs"].scope == 7
        next_of_failures = con.execute(
            "SELECT execution_id, next_decided.outcome FROM flaky_task_runs "
            "WHERE execution_id IN ('old-1', 'recent-1') ORDER BY execution_id"
        ).fetchall()
        assert next_of_failures == [("old-1", "success"), ("recent-1", "success")]
