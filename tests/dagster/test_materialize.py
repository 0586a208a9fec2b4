"""The pipeline's assets through `dg.materialize` against the simulator on 127.0.0.1: the nightly
selection, backfills, and failures that must stop a run at once with one clear line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from assets.checks import CHECK_NAMES
from assets.ingest import cdf_incremental_ingest, history_backfill
from assets.resources import WarehouseResource
from assets.views import analytics_views
from cdf_simulator import Simulator
from tests.support.dagster import (
    ALL_DEFINITIONS,
    NIGHTLY,
    materialization_metadata,
    materialize,
    resources_for,
)
from tests.support.ingest import snapshot
from tests.support.sim import HOUR_MS
from warehouse.store import Warehouse


def test_nightly_selection_materialises_tables_views_and_passes_checks(
    sim: Simulator, dagster_resources: dict[str, Any]
) -> None:
    result = materialize(dagster_resources, NIGHTLY)
    assert result.success
    meta = materialization_metadata(result, "workflow_executions")
    visible = sim.world.count_visible(sim.clock.now_ms())
    assert meta["executions_listed"] == visible == meta["rows_inserted"]
    assert meta["dagster/row_count"] == visible
    assert meta["api_requests"] >= visible  # one detail request each, plus list pages
    header = meta["preview"].splitlines()[0]
    assert header.strip("|").split("|")[0].strip() == "execution_id"
    facts = materialization_metadata(result, "execution_facts")
    assert facts["dagster/row_count"] == visible  # an incremental table: counted
    sla = materialization_metadata(result, "workflow_daily_sla")
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
        result = materialize(dagster_resources, dg.AssetSelection.assets(history_backfill), key)
        assert result.success
        meta = materialization_metadata(result, "history_backfill")
        assert meta["rows_inserted"] > 0
    assert materialize(dagster_resources, NIGHTLY).success
    # The same run on an empty warehouse: identical rows, the backfill changed nothing.
    alone = dict(dagster_resources)
    alone["warehouse"] = type(dagster_resources["warehouse"])(directory=str(tmp_path / "alone"))
    assert materialize(alone, NIGHTLY).success
    backfilled_dir = Path(dagster_resources["warehouse"].directory)
    assert snapshot(backfilled_dir) == snapshot(tmp_path / "alone")


def test_no_access_fails_the_asset_at_once_with_one_clear_message(
    dagster_resources: dict[str, Any], sim_url: str, warehouse_path: Path
) -> None:
    # Over real HTTP (uvicorn): the 403 travels through the network transport.
    resources = dict(dagster_resources)
    resources["cdf"] = resources_for(sim_url, warehouse_path, project="someone-elses")["cdf"]
    result = materialize(resources, NIGHTLY)
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert len(failures) == 1  # not retried: access does not come back by waiting
    user = failures[0].step_failure_data.user_failure_data
    assert user is not None
    assert "someone-elses" in user.description and "403" in user.description
    assert not (warehouse_path / "workflows.duckdb").exists()


@pytest.mark.parametrize("job", ["nightly", "backfill"])
def test_a_warehouse_directory_that_cannot_be_written_fails_at_once(
    sim: Simulator, dagster_resources: dict[str, Any], tmp_path: Path, job: str
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    resources = dict(dagster_resources)
    resources["warehouse"] = WarehouseResource(directory=str(blocker / "warehouse"))
    if job == "nightly":
        result = materialize(resources, NIGHTLY)
    else:  # a day of history: fails before it fetches the day, not after
        day = datetime.fromtimestamp(sim.clock.now_ms() / 1000, UTC).date()
        result = materialize(
            resources, dg.AssetSelection.assets(history_backfill), f"{day:%Y-%m-%d}"
        )
        assert sim.requests_by_kind.get("detail", 0) == 0
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert len(failures) == 1  # not retried: the directory does not become writable by waiting
    assert not [e for e in result.all_events if e.is_step_up_for_retry]
    user = failures[0].step_failure_data.user_failure_data
    assert user is not None
    assert user.description.startswith(f"the warehouse directory {blocker / 'warehouse'} ")
    assert "WAREHOUSE_DIR" in user.description


def test_a_warehouse_out_of_memory_fails_at_once_and_says_what_to_set(
    dagster_resources: dict[str, Any],
) -> None:
    resources = dict(dagster_resources)
    directory = dagster_resources["warehouse"].directory
    resources["warehouse"] = WarehouseResource(directory=directory, duckdb_memory="2MB")
    result = materialize(resources, NIGHTLY)
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
    assert materialize(dagster_resources, dg.AssetSelection.assets(cdf_incremental_ingest)).success
    resources = dict(dagster_resources)
    resources["warehouse"] = WarehouseResource(
        # 16 MB: enough to make the schema, not to build the tables.
        directory=dagster_resources["warehouse"].directory,
        duckdb_memory="16MB",
    )
    result = materialize(resources, dg.AssetSelection.assets(analytics_views))
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
    first = materialize(dagster_resources, NIGHTLY)
    assert first.success
    assert materialization_metadata(first, "critical_paths")["build"] == "full"
    sim.clock.advance(6 * HOUR_MS)
    night = materialize(dagster_resources, NIGHTLY)
    assert night.success
    paths = materialization_metadata(night, "critical_paths")
    visible = sim.world.count_visible(sim.clock.now_ms())
    assert paths["build"] == "incremental"
    assert 0 < paths["executions_recomputed"] < visible
    assert paths["dagster/row_count"] == visible  # one row per execution
    assert materialization_metadata(night, "task_retries")["build"] == "view"
    refresh = dg.materialize(
        ALL_DEFINITIONS,
        resources=dagster_resources,
        selection=NIGHTLY,
        run_config={"ops": {"analytics_views": {"config": {"full_refresh": True}}}},
        raise_on_error=False,
    )
    assert refresh.success
    assert materialization_metadata(refresh, "critical_paths")["build"] == "full"
    assert materialization_metadata(refresh, "critical_paths")["dagster/row_count"] == visible
