"""A load in several batches builds the analytics models kept per execution as it goes
(build_ahead); the analytics step then recomputes them for the last batch only, and every
table still equals its definition, in DuckDB and in the Parquet tree."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from cdf_client.config import CdfConfig
from cdf_simulator import Simulator
from ingest.executions import IngestSettings
from ingest.runner import run_ingest
from tests.support.analytics_tables import (
    assert_equal_to_definitions,
    assert_parquet_holds_the_tables,
)
from tests.support.sim import HOUR_MS
from warehouse.analytics.build import (
    FULL,
    INCREMENTAL,
    BuildReport,
    build_ahead,
    build_models,
)
from warehouse.analytics.recompute import ahead_names
from warehouse.store import Warehouse

AHEAD = {"critical_paths", "execution_facts", "task_key_runs", "task_outcomes"}


def _pending(wh: Warehouse) -> tuple[int, int]:
    con = wh.connection
    left = con.execute("SELECT count(*) FROM _analytics_pending").fetchall()[0][0]
    ahead = con.execute("SELECT count(*) FROM _analytics_pending_ahead").fetchall()[0][0]
    return left, ahead


def _load(
    config: CdfConfig, directory: Path, transport: httpx.AsyncBaseTransport, batch_size: int
) -> tuple[int, BuildReport]:
    report = run_ingest(
        config, directory, IngestSettings(batch_size=batch_size), transport=transport
    )
    with Warehouse(directory) as wh:
        left, ahead = _pending(wh)
        # What was built ahead is what the batches before the last wrote.
        assert ahead == report.analytics_built_ahead
        build = build_models(wh.connection)
        assert build.pending == left + ahead
        assert _pending(wh) == (0, 0)
        assert_equal_to_definitions(wh.connection)
        wh.flush()
    assert_parquet_holds_the_tables(directory)
    return report.analytics_built_ahead, build


def test_the_models_kept_per_execution_are_built_during_the_load(
    sim: Simulator,
    transport: httpx.ASGITransport,
    inprocess_config: CdfConfig,
    warehouse_path: Path,
) -> None:
    # The models that read only tables kept per execution (and the ingested ones).
    assert ahead_names() == AHEAD
    ahead, first = _load(inprocess_config, warehouse_path, transport, batch_size=40)
    assert ahead > 0
    modes = {m.name: m.mode for m in first.models if m.mode != "view"}
    # Built whole on the first batch, recomputed for the last batch by the step.
    assert {n: modes[n] for n in AHEAD} == dict.fromkeys(AHEAD, INCREMENTAL)
    assert {n: m for n, m in modes.items() if n not in AHEAD} == {
        "flaky_task_runs": FULL,
        "task_hot_spots": FULL,
    }
    last_batch = first.by_name()["critical_paths"].scope
    assert last_batch is not None and 0 < last_batch <= 40
    # Nights with runs that ended, late runs and new ones, written in batches of a few.
    for hours in (12, 30):
        sim.clock.advance(hours * HOUR_MS)
        ahead, night = _load(inprocess_config, warehouse_path, transport, batch_size=3)
        assert ahead > 0
        assert night.by_name()["task_hot_spots"].mode == INCREMENTAL


def test_a_single_batch_leaves_the_build_to_the_analytics_step(
    transport: httpx.ASGITransport, inprocess_config: CdfConfig, warehouse_path: Path
) -> None:
    ahead, first = _load(inprocess_config, warehouse_path, transport, batch_size=100_000)
    assert ahead == 0
    assert {m.mode for m in first.models if m.mode != "view"} == {FULL}


def test_a_whole_rebuild_over_a_large_history_waits_for_the_analytics_step(
    sim: Simulator,
    transport: httpx.ASGITransport,
    inprocess_config: CdfConfig,
    warehouse_path: Path,
) -> None:
    run_ingest(inprocess_config, warehouse_path, IngestSettings(), transport=transport)
    sim.clock.advance(12 * HOUR_MS)
    run_ingest(inprocess_config, warehouse_path, IngestSettings(), transport=transport)
    with Warehouse(warehouse_path) as wh:
        con = wh.connection
        stored = con.execute("SELECT count(*) FROM workflow_executions").fetchall()[0][0]
        left_before = _pending(wh)
        assert left_before[0] > 0
        # No model built yet: each would be rebuilt whole over every stored execution.
        assert build_ahead(con, slice_size=stored - 1) is None
        assert _pending(wh) == left_before
        built = build_ahead(con, slice_size=stored)
        assert built is not None
        assert {m.name: m.mode for m in built.models} == dict.fromkeys(AHEAD, FULL)
        assert _pending(wh) == (0, left_before[0])
        # Nothing left for them: the step builds the others only.
        assert build_ahead(con) is None
        build = build_models(con)
        modes = {m.name: m.mode for m in build.models if m.mode != "view"}
        assert {n: modes[n] for n in AHEAD} == dict.fromkeys(AHEAD, "unchanged")
        assert modes["task_hot_spots"] == FULL
        assert_equal_to_definitions(con)


def test_a_build_ahead_duckdb_refuses_is_rolled_back_and_left_to_the_step(
    transport: httpx.ASGITransport,
    inprocess_config: CdfConfig,
    warehouse_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # DuckDB refuses the build ahead at its last statement, after every model was recomputed
    # in its transaction: the table its pending rows move to accepts none.
    with Warehouse(warehouse_path) as wh:
        wh.ensure_schema()
        con = wh.connection
        con.execute("DROP VIEW _analytics_pending_all")
        con.execute("DROP TABLE _analytics_pending_ahead")
        con.execute(
            "CREATE TABLE _analytics_pending_ahead (cdf_project VARCHAR NOT NULL, "
            "execution_id VARCHAR NOT NULL CHECK (execution_id IS NULL), "
            "workflow_external_id VARCHAR, day DATE)"
        )
    with caplog.at_level(logging.WARNING, logger="ingest"):
        report = run_ingest(
            inprocess_config, warehouse_path, IngestSettings(batch_size=40), transport=transport
        )
    assert report.batches > 2
    assert report.analytics_built_ahead == 0
    refused = [r for r in caplog.records if "not built during the load" in r.getMessage()]
    # Once: the later batches leave it to the step.
    assert len(refused) == 1
    with Warehouse(warehouse_path) as wh:
        con = wh.connection
        # Nothing of it stayed: every written execution is still pending, no model has rows.
        left, ahead = _pending(wh)
        assert ahead == 0
        assert left >= report.executions_inserted
        assert con.execute("SELECT count(*) FROM critical_paths").fetchall() == [(0,)]
        build_models(con)
        assert_equal_to_definitions(con)
        wh.flush()
    assert_parquet_holds_the_tables(warehouse_path)
