"""The asset checks through `dg.materialize` and on their own: each fails on a warehouse broken
for it, with its documented severity; a run checks what it wrote, a check alone everything."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pytest

from assets.checks import ALL_CHECKS, CHECK_NAMES, evaluate_checks
from assets.resources import WarehouseResource
from cdf_simulator import Simulator, create_app
from tests.support.breakage import STAMP_FIRST_TASK_EXECUTION_NOW
from tests.support.dagster import ALL_DEFINITIONS, NIGHTLY, materialize
from tests.support.ingest import ingest
from tests.support.sim import cdf_config_for, small_sim_config
from warehouse.store import Warehouse

BREAKAGES = {
    "analytics_one_row_per_execution": (
        "DELETE FROM critical_paths "
        "WHERE execution_id = (SELECT min(execution_id) FROM critical_paths)"
    ),
    "tasks_have_execution": (
        "INSERT INTO task_executions (cdf_project, task_execution_id, execution_id, "
        "task_external_id) VALUES ('test-project', 'orphan-task', 'no-such-execution', 't')"
    ),
    "terminal_have_end_time": (
        "UPDATE workflow_executions SET end_time = NULL WHERE execution_id = "
        "(SELECT min(execution_id) FROM workflow_executions WHERE status = 'COMPLETED')"
    ),
    # Another execution's task row takes the smallest task id: one id under two executions.
    "task_ids_shared": (
        "UPDATE task_executions SET task_execution_id = "
        "(SELECT min(task_execution_id) FROM task_executions) "
        "WHERE rowid = (SELECT max(rowid) FROM task_executions WHERE execution_id <> "
        "(SELECT execution_id FROM task_executions ORDER BY task_execution_id LIMIT 1))"
    ),
    "task_times_inside_execution": (
        "UPDATE task_executions SET start_time = start_time - INTERVAL 2 HOUR "
        "WHERE task_execution_id = (SELECT min(task_execution_id) FROM task_executions "
        "WHERE start_time IS NOT NULL)"
    ),
    "no_future_timestamps": (
        "UPDATE workflow_executions SET created_time = now() + INTERVAL 1 DAY "
        "WHERE execution_id = (SELECT min(execution_id) FROM workflow_executions)"
    ),
    "tasks_key_unique": (
        "INSERT INTO task_executions SELECT * FROM task_executions "
        "WHERE task_execution_id = (SELECT min(task_execution_id) FROM task_executions)"
    ),
    # These two tables enforce their key in DuckDB too: only a table rebuilt without it (a
    # migration gone wrong) can hold a copy.
    "executions_key_unique": (
        "CREATE TABLE copy AS SELECT * FROM workflow_executions; DROP TABLE workflow_executions; "
        "ALTER TABLE copy RENAME TO workflow_executions; "
        "INSERT INTO workflow_executions SELECT * FROM workflow_executions "
        "WHERE execution_id = (SELECT min(execution_id) FROM workflow_executions)"
    ),
    "definitions_key_unique": (
        "CREATE TABLE copy AS SELECT * FROM task_definitions; DROP TABLE task_definitions; "
        "ALTER TABLE copy RENAME TO task_definitions; "
        "INSERT INTO task_definitions SELECT * FROM task_definitions "
        "WHERE definition_hash = (SELECT min(definition_hash) FROM task_definitions) LIMIT 1"
    ),
    "execution_clock_skew": (
        "UPDATE workflow_executions SET end_time = start_time - INTERVAL 1 SECOND "
        "WHERE execution_id = (SELECT min(execution_id) FROM workflow_executions "
        "WHERE start_time IS NOT NULL)"
    ),
    # A Parquet partition that lost a row behind the ingest's back.
    "parquet_matches_duckdb": (
        "DELETE FROM task_definitions WHERE definition_hash = "
        "(SELECT min(definition_hash) FROM task_definitions)"
    ),
    "ingest_is_fresh": (
        "UPDATE _ingest_state SET value = json_object('finished_at_epoch_s', 0) "
        "WHERE key = 'executions.last_run'"
    ),
    "rejected_not_growing": (
        "UPDATE _ingest_state SET value = json_object('finished_at_epoch_s', epoch(now()), "
        "'rejected', 500, 'details_fetched', 1000) WHERE key = 'executions.last_run'"
    ),
}


@pytest.fixture(scope="module")
def ingested_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ingest per module; each test breaks its own copy."""
    directory = tmp_path_factory.mktemp("template") / "warehouse"
    sim = Simulator(small_sim_config())
    ingest(
        cdf_config_for("http://127.0.0.1"),
        directory,
        transport=httpx.ASGITransport(app=create_app(sim)),
    )
    return directory


@pytest.fixture
def ingested(ingested_template: Path, tmp_path: Path) -> Path:
    directory = tmp_path / "copy"
    shutil.copytree(ingested_template, directory)
    return directory


# The simulator sends small clock skews like CDF; remove them to see the check pass first.
REPAIRS = {
    "execution_clock_skew": (
        "UPDATE workflow_executions SET start_time = created_time WHERE start_time < created_time"
    ),
    "task_times_inside_execution": (
        "UPDATE task_executions AS t SET end_time = e.end_time FROM workflow_executions AS e "
        "WHERE e.cdf_project = t.cdf_project AND e.execution_id = t.execution_id "
        "AND t.end_time > e.end_time"
    ),
}
# Checks on what this pipeline wrote fail the run; the rest (what the source sent, operational
# alarms) warn. docs/reliability.md has the table and the reasons.
ERROR_CHECKS = {
    "analytics_one_row_per_execution",
    "executions_key_unique",
    "tasks_key_unique",
    "definitions_key_unique",
    "tasks_have_execution",
    "parquet_matches_duckdb",
}


def test_every_check_has_its_documented_severity() -> None:
    severities = {spec.name: spec.blocking for check in ALL_CHECKS for spec in check.check_specs}
    assert set(BREAKAGES) == set(severities)
    assert {name for name, blocking in severities.items() if blocking} == ERROR_CHECKS
    docs = (Path(__file__).parents[2] / "docs" / "reliability.md").read_text()
    for name in severities:
        severity = "ERROR" if name in ERROR_CHECKS else "WARN"
        assert f"| `{name}` | {severity} |" in docs, name


@pytest.mark.parametrize("check_name", sorted(BREAKAGES))
def test_each_check_fails_on_a_warehouse_broken_for_it(ingested: Path, check_name: str) -> None:
    warehouse = WarehouseResource(directory=str(ingested))
    if check_name in REPAIRS:
        with Warehouse(ingested) as wh:
            wh.connection.execute(REPAIRS[check_name])
    assert _evaluate(check_name, warehouse).passed
    with Warehouse(ingested) as wh:
        wh.connection.execute(BREAKAGES[check_name])
    result = _evaluate(check_name, warehouse)
    assert not result.passed
    expected = "ERROR" if check_name in ERROR_CHECKS else "WARN"
    assert result.severity == getattr(dg.AssetCheckSeverity, expected)
    assert result.metadata["summary"].value


def _evaluate(name: str, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    """One check run on its own (outside a run: over the whole warehouse)."""
    (result,) = evaluate_checks(warehouse, [name])
    assert result.check_name == name
    return result


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        ("tasks_have_execution", {"tasks_have_execution"}),
        # A duplicated row is also one more row in DuckDB than in its Parquet partition.
        ("tasks_key_unique", {"tasks_key_unique", "parquet_matches_duckdb"}),
    ],
)
def test_a_failing_error_check_fails_the_run_and_stops_the_views(
    dagster_resources: dict[str, Any], breakage: str, expected: set[str]
) -> None:
    assert materialize(dagster_resources, NIGHTLY).success
    directory = Path(dagster_resources["warehouse"].directory)
    # Our own output broken by a write after the last good run (stamped, as the ingest stamps
    # the executions it writes): the next run's checks look at the rows written since the last
    # run whose checks passed, so they see it...
    with Warehouse(directory) as wh:
        wh.connection.execute(BREAKAGES[breakage])
        wh.connection.execute(STAMP_FIRST_TASK_EXECUTION_NOW)
    # ...and so does every run after, until it is repaired: a failed run does not move the mark.
    for _ in range(2):
        result = materialize(dagster_resources, NIGHTLY)
        assert not result.success
        failed = {
            c.check_name
            for c in result.get_asset_check_evaluations()
            if not c.passed and c.severity == dg.AssetCheckSeverity.ERROR
        }
        assert failed == expected
        materialized = {
            e.materialization.asset_key.to_user_string()
            for e in result.get_asset_materialization_events()
            if e.materialization is not None
        }
        assert "workflow_daily_sla" not in materialized


def test_a_source_warning_is_reported_by_the_run_that_wrote_its_row_only(
    dagster_resources: dict[str, Any],
) -> None:
    # The simulator sends small clock skews, as CDF does: the first run writes them and warns.
    skew = ("execution_clock_skew", "task_times_inside_execution")

    def evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
        return {c.check_name: c for c in result.get_asset_check_evaluations()}

    first = materialize(dagster_resources, NIGHTLY)
    assert first.success
    for name in skew:
        assert not evaluations(first)[name].passed, name
    # The next run writes nothing with a skew: its checks start where the first run's started,
    # after the first run's rows were written, so the warnings are not repeated.
    second = materialize(dagster_resources, NIGHTLY)
    assert second.success
    for name in skew:
        check = evaluations(second)[name]
        assert check.passed, name
        assert check.metadata["scope"].value.startswith("the rows written since "), name


def test_the_nightly_checks_look_at_what_is_new_and_on_their_own_at_everything(
    dagster_resources: dict[str, Any],
) -> None:
    # Two good runs: the second's checks start from the first's start, the next from its own.
    assert materialize(dagster_resources, NIGHTLY).success
    assert materialize(dagster_resources, NIGHTLY).success
    warehouse = dagster_resources["warehouse"]
    check = "analytics_one_row_per_execution"
    with Warehouse(Path(warehouse.directory)) as wh:
        wh.connection.execute(BREAKAGES[check])
    # The broken execution was written before the last good run: the next run does not see it...
    result = materialize(dagster_resources, NIGHTLY)
    assert result.success
    (nightly,) = [c for c in result.get_asset_check_evaluations() if c.check_name == check]
    assert nightly.passed
    assert nightly.metadata["scope"].value.startswith("the rows written since ")
    # ...the same check run on its own (the UI's "Execute checks") looks at every row.
    alone = _evaluate(check, warehouse)
    assert not alone.passed
    assert alone.metadata["scope"].value == "the whole warehouse"
    # One check alone through Dagster, as the UI runs it: the steps can be subset.
    selected = dg.materialize(
        ALL_DEFINITIONS,
        resources=dagster_resources,
        selection=dg.AssetSelection.checks(dg.AssetCheckKey(dg.AssetKey("critical_paths"), check)),
        raise_on_error=False,
    )
    (only,) = selected.get_asset_check_evaluations()
    assert only.check_name == check and not only.passed
    assert only.metadata["scope"].value == "the whole warehouse"
    # And once a run writes the execution again, its own check sees it.
    with Warehouse(Path(warehouse.directory)) as wh:
        wh.connection.execute(
            "UPDATE workflow_executions SET ingested_at = now() + INTERVAL 1 DAY WHERE "
            "execution_id = (SELECT min(execution_id) FROM workflow_executions)"
        )
    again = materialize(dagster_resources, NIGHTLY)
    (seen,) = [c for c in again.get_asset_check_evaluations() if c.check_name == check]
    assert not seen.passed and not again.success


def test_a_task_row_without_an_execution_id_is_an_orphan(ingested: Path) -> None:
    warehouse = WarehouseResource(directory=str(ingested))
    with Warehouse(ingested) as wh:
        wh.connection.execute(
            "INSERT INTO task_executions (cdf_project, task_execution_id, execution_id, "
            "task_external_id) VALUES ('test-project', 'no-execution-id', NULL, 't')"
        )
    result = _evaluate("tasks_have_execution", warehouse)
    assert not result.passed
    assert result.metadata["failing_rows"].value == 1


def test_a_check_that_cannot_run_fails_alone_and_the_others_report(ingested: Path) -> None:
    warehouse = WarehouseResource(directory=str(ingested))
    with Warehouse(ingested) as wh:
        wh.connection.execute("DROP TABLE execution_facts")
    results = {r.check_name: r for r in evaluate_checks(warehouse, CHECK_NAMES)}
    assert set(results) == set(CHECK_NAMES)
    broken = results["analytics_one_row_per_execution"]
    assert not broken.passed
    assert broken.severity == dg.AssetCheckSeverity.ERROR
    assert broken.metadata["summary"].value.startswith("the check could not run: ")
    assert results["tasks_key_unique"].passed and results["executions_key_unique"].passed


def test_checks_on_a_warehouse_without_a_database_say_so(tmp_path: Path) -> None:
    warehouse = WarehouseResource(directory=str(tmp_path / "empty"))
    results = {r.check_name: r for r in evaluate_checks(warehouse, CHECK_NAMES)}
    assert set(results) == set(CHECK_NAMES)
    assert results["ingest_is_fresh"].metadata["summary"].value == "no ingest recorded yet"
    summary = results["tasks_key_unique"].metadata["summary"].value
    assert summary == "the warehouse has no database yet"
