"""Assets and checks through `dg.materialize` against the simulator on 127.0.0.1."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pytest

from assets.checks import ALL_CHECKS, CHECK_NAMES, evaluate_checks
from assets.ingest import cdf_incremental_ingest, history_backfill
from assets.resources import WarehouseResource
from assets.views import analytics_views
from cdf_simulator import Simulator, create_app
from tests.support.breakage import STAMP_FIRST_TASK_EXECUTION_NOW
from tests.support.dagster import resources_for
from tests.support.ingest import ingest, snapshot
from tests.support.sim import HOUR_MS, cdf_config_for, small_sim_config
from warehouse.store import Warehouse

ALL = [cdf_incremental_ingest, history_backfill, analytics_views, *ALL_CHECKS]


def _materialize(
    resources: dict[str, Any], selection: Any = None, partition_key: str | None = None
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        ALL,
        resources=resources,
        selection=selection,
        partition_key=partition_key,
        raise_on_error=False,
    )


def _metadata(result: dg.ExecuteInProcessResult, key: str) -> dict[str, Any]:
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        if mat is not None and mat.asset_key.to_user_string() == key:
            return {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
    raise AssertionError(f"no materialization of {key}")


NIGHTLY = dg.AssetSelection.assets(cdf_incremental_ingest, analytics_views)


def test_nightly_selection_materialises_tables_views_and_passes_checks(
    sim: Simulator, dagster_resources: dict[str, Any]
) -> None:
    result = _materialize(dagster_resources, NIGHTLY)
    assert result.success
    meta = _metadata(result, "workflow_executions")
    visible = sim.world.count_visible(sim.clock.now_ms())
    assert meta["executions_listed"] == visible == meta["rows_inserted"]
    assert meta["dagster/row_count"] == visible
    assert meta["api_requests"] >= visible  # one detail request each, plus list pages
    header = meta["preview"].splitlines()[0]
    assert header.strip("|").split("|")[0].strip() == "execution_id"
    facts = _metadata(result, "execution_facts")
    assert facts["dagster/row_count"] == visible  # an incremental table: counted
    sla = _metadata(result, "workflow_daily_sla")
    assert "dagster/row_count" not in sla  # a view: computed when queried, not counted nightly
    assert sla["dagster/column_schema"].columns[0].name == "cdf_project"
    checks = result.get_asset_check_evaluations()
    assert len(checks) == len(CHECK_NAMES)
    # What this pipeline wrote is right; the simulator's small clock skews, as CDF sends them (a
    # run a few ms before its creation, tasks ending a few ms after their run), only warn.
    failed = {c.check_name: c.severity for c in checks if not c.passed}
    assert failed == {
        "execution_clock_skew": dg.AssetCheckSeverity.WARN,
        "task_times_inside_execution": dg.AssetCheckSeverity.WARN,
    }


def test_backfilled_days_next_to_the_nightly_run_equal_a_nightly_run_alone(
    sim: Simulator, dagster_resources: dict[str, Any], tmp_path: Path
) -> None:
    now = datetime.fromtimestamp(sim.clock.now_ms() / 1000, UTC)
    days = [(now.date().toordinal() - d) for d in (10, 9, 8)]
    for day in days:
        key = datetime.fromordinal(day).strftime("%Y-%m-%d")
        result = _materialize(dagster_resources, dg.AssetSelection.assets(history_backfill), key)
        assert result.success
        meta = _metadata(result, "history_backfill")
        assert meta["rows_inserted"] > 0
    assert _materialize(dagster_resources, NIGHTLY).success
    # The same run on an empty warehouse: identical rows, the backfill changed nothing.
    alone = dict(dagster_resources)
    alone["warehouse"] = type(dagster_resources["warehouse"])(directory=str(tmp_path / "alone"))
    assert _materialize(alone, NIGHTLY).success
    backfilled_dir = Path(dagster_resources["warehouse"].directory)
    assert snapshot(backfilled_dir) == snapshot(tmp_path / "alone")


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
    assert _materialize(dagster_resources, NIGHTLY).success
    directory = Path(dagster_resources["warehouse"].directory)
    # Our own output broken by a write after the last good run (stamped, as the ingest stamps
    # the executions it writes): the next run's checks look at the rows written since the last
    # run whose checks passed, so they see it...
    with Warehouse(directory) as wh:
        wh.connection.execute(BREAKAGES[breakage])
        wh.connection.execute(STAMP_FIRST_TASK_EXECUTION_NOW)
    # ...and so does every run after, until it is repaired: a failed run does not move the mark.
    for _ in range(2):
        result = _materialize(dagster_resources, NIGHTLY)
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

    first = _materialize(dagster_resources, NIGHTLY)
    assert first.success
    for name in skew:
        assert not evaluations(first)[name].passed, name
    # The next run writes nothing with a skew: its checks start where the first run's started,
    # after the first run's rows were written, so the warnings are not repeated.
    second = _materialize(dagster_resources, NIGHTLY)
    assert second.success
    for name in skew:
        check = evaluations(second)[name]
        assert check.passed, name
        assert check.metadata["scope"].value.startswith("the rows written since "), name


def test_the_nightly_checks_look_at_what_is_new_and_on_their_own_at_everything(
    dagster_resources: dict[str, Any],
) -> None:
    # Two good runs: the second's checks start from the first's start, the next from its own.
    assert _materialize(dagster_resources, NIGHTLY).success
    assert _materialize(dagster_resources, NIGHTLY).success
    warehouse = dagster_resources["warehouse"]
    check = "analytics_one_row_per_execution"
    with Warehouse(Path(warehouse.directory)) as wh:
        wh.connection.execute(BREAKAGES[check])
    # The broken execution was written before the last good run: the next run does not see it...
    result = _materialize(dagster_resources, NIGHTLY)
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
        ALL,
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
    again = _materialize(dagster_resources, NIGHTLY)
    (seen,) = [c for c in again.get_asset_check_evaluations() if c.check_name == check]
    assert not seen.passed and not again.success


def test_no_access_fails_the_asset_at_once_with_one_clear_message(
    dagster_resources: dict[str, Any], sim_url: str, warehouse_path: Path
) -> None:
    # Over real HTTP (uvicorn): the 403 travels through the network transport.
    resources = dict(dagster_resources)
    resources["cdf"] = resources_for(sim_url, warehouse_path, project="someone-elses")["cdf"]
    result = _materialize(resources, NIGHTLY)
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert len(failures) == 1  # not retried: access does not come back by waiting
    user = failures[0].step_failure_data.user_failure_data
    assert user is not None
    assert "someone-elses" in user.description and "403" in user.description
    assert not (warehouse_path / "workflows.duckdb").exists()


def test_a_warehouse_out_of_memory_fails_at_once_and_says_what_to_set(
    dagster_resources: dict[str, Any],
) -> None:
    resources = dict(dagster_resources)
    directory = dagster_resources["warehouse"].directory
    resources["warehouse"] = WarehouseResource(directory=directory, duckdb_memory="2MB")
    result = _materialize(resources, NIGHTLY)
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert len(failures) == 1  # not retried: a memory cap fails the same way minutes later
    assert not [e for e in result.all_events if e.is_step_up_for_retry]
    user = failures[0].step_failure_data.user_failure_data
    assert user is not None
    assert "ran out of its memory cap" in user.description
    assert "WAREHOUSE_DUCKDB_MEMORY" in user.description


def test_an_analytics_build_out_of_memory_fails_at_once_and_says_what_to_set(
    dagster_resources: dict[str, Any], warehouse_path: Path
) -> None:
    assert _materialize(dagster_resources, dg.AssetSelection.assets(cdf_incremental_ingest)).success
    resources = dict(dagster_resources)
    resources["warehouse"] = WarehouseResource(
        # 16 MB: enough to make the schema, not to build the tables.
        directory=dagster_resources["warehouse"].directory,
        duckdb_memory="16MB",
    )
    result = _materialize(resources, dg.AssetSelection.assets(analytics_views))
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert len(failures) == 1
    user = failures[0].step_failure_data.user_failure_data
    assert user is not None
    assert user.description.startswith("the warehouse's DuckDB ran out of its memory cap (")
    assert "WAREHOUSE_DUCKDB_MEMORY" in user.description and "\n" not in user.description
    # The schema was made (the tables exist), the build itself ran out and rolled back: its
    # tables are empty and the executions it did not build are still pending for the next run.
    with Warehouse(warehouse_path, read_only=True) as wh:
        con = wh.connection
        assert con.execute("SELECT count(*) FROM critical_paths").fetchone() == (0,)
        assert con.execute("SELECT count(*) FROM _analytics_pending").fetchone()[0] > 0


def test_the_analytics_build_is_incremental_and_a_full_refresh_is_asked_in_run_config(
    sim: Simulator, dagster_resources: dict[str, Any]
) -> None:
    first = _materialize(dagster_resources, NIGHTLY)
    assert first.success
    assert _metadata(first, "critical_paths")["build"] == "full"
    sim.clock.advance(6 * HOUR_MS)
    night = _materialize(dagster_resources, NIGHTLY)
    assert night.success
    paths = _metadata(night, "critical_paths")
    visible = sim.world.count_visible(sim.clock.now_ms())
    assert paths["build"] == "incremental"
    assert 0 < paths["executions_recomputed"] < visible
    assert paths["dagster/row_count"] == visible  # one row per execution
    assert _metadata(night, "task_retries")["build"] == "view"
    refresh = dg.materialize(
        ALL,
        resources=dagster_resources,
        selection=NIGHTLY,
        run_config={"ops": {"analytics_views": {"config": {"full_refresh": True}}}},
        raise_on_error=False,
    )
    assert refresh.success
    assert _metadata(refresh, "critical_paths")["build"] == "full"
    assert _metadata(refresh, "critical_paths")["dagster/row_count"] == visible


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
