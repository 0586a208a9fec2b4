"""The incremental ingest against the simulator: first load, clock moves, request counts,
paging ties, faults, token expiry, late-visible executions and bad records."""

from __future__ import annotations

from pathlib import Path

import httpx

from cdf_client.config import CdfConfig
from cdf_simulator import FaultConfig, Simulator, create_app
from ingest.executions import IngestReport, IngestSettings
from ingest.runner import run_ingest
from tests.support.ingest import ingest, parquet_matches_duckdb, snapshot
from tests.support.sim import HOUR_MS, cdf_config_for, small_sim_config
from warehouse.store import Warehouse


def _stored_statuses(directory: Path) -> dict[str, str]:
    with Warehouse(directory, read_only=True) as wh:
        return dict(
            wh.connection.execute("SELECT execution_id, status FROM workflow_executions").fetchall()
        )


def test_first_load_holds_every_visible_execution(
    sim: Simulator,
    transport: httpx.ASGITransport,
    inprocess_config: CdfConfig,
    warehouse_path: Path,
) -> None:
    report = ingest(inprocess_config, warehouse_path, transport)
    visible = sim.world.count_visible(sim.clock.now_ms())
    assert report.listed == visible == report.new == report.details_fetched
    assert report.executions_inserted == visible
    assert report.table_counts["workflow_executions"] == visible
    assert report.table_counts["task_executions"] > visible  # DAGs of 3 to 40 tasks
    counts = parquet_matches_duckdb(warehouse_path)
    for table, (db_rows, pq_rows) in counts.items():
        assert db_rows == pq_rows, table


def test_second_run_with_nothing_new_fetches_no_detail(
    sim: Simulator,
    transport: httpx.ASGITransport,
    inprocess_config: CdfConfig,
    warehouse_path: Path,
) -> None:
    first = ingest(inprocess_config, warehouse_path, transport)
    before = snapshot(warehouse_path)
    open_count = _open_count(warehouse_path)
    assert open_count > 0, "the world should have runs in progress for this test to mean much"
    second = ingest(inprocess_config, warehouse_path, transport)
    # Still-running executions whose summary did not change are not asked again either.
    assert second.details_fetched == 0
    assert second.unchanged == second.listed > 0
    assert second.requests["requests"].get("list", 0) <= 2 * (second.listed // 1000 + 1)
    assert second.window_start_ms == first.high_water_after_ms - 30 * HOUR_MS
    assert snapshot(warehouse_path) == before


def test_refetch_open_asks_again_for_running_executions_only(
    sim: Simulator,
    transport: httpx.ASGITransport,
    inprocess_config: CdfConfig,
    warehouse_path: Path,
) -> None:
    ingest(inprocess_config, warehouse_path, transport)
    open_count = _open_count(warehouse_path)
    second = ingest(inprocess_config, warehouse_path, transport, refetch_open=True)
    # Only executions that were still open are asked again; nothing finished is re-fetched.
    assert second.details_fetched == second.still_open == open_count > 0


def _open_count(directory: Path) -> int:
    return sum(
        1
        for s in _stored_statuses(directory).values()
        if s not in ("COMPLETED", "FAILED", "TIMED_OUT", "TERMINATED")
    )


def test_clock_moving_updates_finished_runs_and_adds_new_ones(
    sim: Simulator,
    transport: httpx.ASGITransport,
    inprocess_config: CdfConfig,
    warehouse_path: Path,
) -> None:
    ingest(inprocess_config, warehouse_path, transport)
    before = _stored_statuses(warehouse_path)
    open_before = {k for k, s in before.items() if s == "RUNNING"}
    sim.clock.advance(12 * HOUR_MS)
    sim.stats.reset() if hasattr(sim.stats, "reset") else None
    report = ingest(inprocess_config, warehouse_path, transport)
    after = _stored_statuses(warehouse_path)
    assert report.new > 0
    assert set(before) < set(after)
    # Each detail request was for a new, changed or still-open execution, never for a
    # finished, unchanged one.
    assert report.details_fetched == (
        report.new
        + report.changed
        + report.still_open
        + report.open_outside_window
        - report.details_missing
    )
    finished = {k for k in open_before if after[k] != "RUNNING"}
    assert finished, "some runs open at the first ingest should have finished 12 h later"
    # A finished run's tasks were replaced: none is still in progress.
    with Warehouse(warehouse_path, read_only=True) as wh:
        stale = wh.connection.execute(
            "SELECT count(*) FROM task_executions WHERE execution_id IN "
            "(SELECT unnest(?)) AND status IN ('IN_PROGRESS', 'SCHEDULED')",
            [sorted(finished)],
        ).fetchone()[0]  # type: ignore[index]
    assert stale == 0
    parquet_matches_duckdb(warehouse_path)


def test_incremental_history_equals_one_load_at_the_end(tmp_path: Path) -> None:
    """Nightly runs across five days give the same warehouse as one load on the last day."""
    nightly = Simulator(small_sim_config())
    transport = httpx.ASGITransport(app=create_app(nightly))
    config = cdf_config_for("http://127.0.0.1")
    for _ in range(5):
        ingest(config, tmp_path / "nightly", transport)
        nightly.clock.advance(24 * HOUR_MS)
    ingest(config, tmp_path / "nightly", transport)
    once = Simulator(small_sim_config())
    once.clock.set(nightly.clock.now_ms())
    ingest(config, tmp_path / "once", httpx.ASGITransport(app=create_app(once)))
    assert snapshot(tmp_path / "nightly") == snapshot(tmp_path / "once")


def test_executions_aged_out_of_cdf_stay_in_the_warehouse(tmp_path: Path) -> None:
    sim = Simulator(small_sim_config(workflows=3, executions_per_day=2.0, history_days=95))
    transport = httpx.ASGITransport(app=create_app(sim))
    config = cdf_config_for("http://127.0.0.1")
    first = ingest(config, tmp_path / "wh", transport)
    sim.clock.advance(10 * 24 * HOUR_MS)
    second = ingest(config, tmp_path / "wh", transport)
    still_in_cdf = sim.world.count_visible(sim.clock.now_ms())
    total = second.table_counts["workflow_executions"]
    assert total == first.table_counts["workflow_executions"] + second.new
    assert total > still_in_cdf  # the ones CDF forgot are still here


def test_batches_end_at_their_count_or_their_bytes_whichever_comes_first(
    transport: httpx.ASGITransport, inprocess_config: CdfConfig, tmp_path: Path
) -> None:
    whole = ingest(inprocess_config, tmp_path / "whole", transport)
    assert whole.batches == 1  # a small world: one batch, the final one
    by_count = ingest(inprocess_config, tmp_path / "by_count", transport, batch_size=40)
    assert by_count.batches == whole.details_fetched // 40 + 1
    # Bodies of a few KB each: a cap of 50 KB ends a batch every few executions.
    by_bytes = ingest(inprocess_config, tmp_path / "by_bytes", transport, batch_bytes=50_000)
    assert whole.details_fetched // 20 < by_bytes.batches < whole.details_fetched
    expected = snapshot(tmp_path / "whole")
    assert snapshot(tmp_path / "by_count") == expected == snapshot(tmp_path / "by_bytes")


def test_batches_before_the_last_write_their_parquet_while_the_fetch_goes_on(
    transport: httpx.ASGITransport, inprocess_config: CdfConfig, tmp_path: Path
) -> None:
    """A first load's earlier days reach the Parquet tree with the batch that completes them
    (the listing's pages walk createdTime), not all after the fetch, and the tree ends equal
    to DuckDB."""
    directory = tmp_path / "wh"
    executions = directory / "parquet" / "workflow_executions"
    files_after_batch: dict[int, int] = {}

    def progress(report: IngestReport) -> None:
        files_after_batch[report.batches] = len(list(executions.glob("*/*.parquet")))

    settings = IngestSettings(batch_size=200, page_size=100)
    report = run_ingest(
        inprocess_config, directory, settings, transport=transport, progress=progress
    )
    assert report.batches > 3
    assert 0 < files_after_batch[1] <= files_after_batch[report.batches - 1]
    # The newest day waits for the end of the run: later batches may still add to it.
    assert files_after_batch[report.batches - 1] < len(list(executions.glob("*/*.parquet")))
    counts = parquet_matches_duckdb(directory)
    assert counts["workflow_executions"] == (report.details_fetched, report.details_fetched)


def test_small_pages_with_ties_lose_and_repeat_nothing(
    transport: httpx.ASGITransport, inprocess_config: CdfConfig, tmp_path: Path
) -> None:
    ingest(inprocess_config, tmp_path / "big", transport)
    report = ingest(inprocess_config, tmp_path / "small", transport, page_size=7)
    assert report.duplicates_in_list == 0
    assert snapshot(tmp_path / "small") == snapshot(tmp_path / "big")


def test_faults_and_short_tokens_end_in_the_same_warehouse(tmp_path: Path) -> None:
    clean_sim = Simulator(small_sim_config())
    config = cdf_config_for("http://127.0.0.1")
    ingest(config, tmp_path / "clean", httpx.ASGITransport(app=create_app(clean_sim)))
    faults = FaultConfig(
        rate_429=0.05,
        rate_503=0.05,
        rate_502=0.02,
        rate_500=0.02,
        retry_after_s=0,
        token_lifetime_s=2,
    )
    faulty_sim = Simulator(small_sim_config(faults=faults))
    report = ingest(config, tmp_path / "faulty", httpx.ASGITransport(app=create_app(faulty_sim)))
    assert report.requests["retries"] > 10
    assert snapshot(tmp_path / "faulty") == snapshot(tmp_path / "clean")


def test_a_listing_newest_first_ends_in_the_same_warehouse_and_parquet(
    sim: Simulator, transport: httpx.ASGITransport, inprocess_config: CdfConfig, tmp_path: Path
) -> None:
    """CDF documents no order for its list. With pages walking createdTime down, a day a batch
    wrote to Parquet during the fetch may get more executions from a later batch: it is
    marked dirty again and rewritten, and both trees end equal to their DuckDB tables and to
    each other's, after a first load and after a night in which runs ended and new ones came."""
    settings = IngestSettings(batch_size=100, page_size=100)
    newest_sim = Simulator(small_sim_config(list_newest_first=True))
    transports = {
        "oldest": transport,
        "newest": httpx.ASGITransport(app=create_app(newest_sim)),
    }
    for night in (0, 1):
        if night:
            sim.clock.advance(30 * HOUR_MS)
            newest_sim.clock.advance(30 * HOUR_MS)
        reports = {
            order: run_ingest(inprocess_config, tmp_path / order, settings, transport=through)
            for order, through in transports.items()
        }
        newest, oldest = reports["newest"], reports["oldest"]
        assert newest.details_fetched == oldest.details_fetched > 0
        assert newest.batches == oldest.batches >= (4 if night == 0 else 1)
        assert snapshot(tmp_path / "newest") == snapshot(tmp_path / "oldest")
        counts = parquet_matches_duckdb(tmp_path / "newest")
        assert counts == parquet_matches_duckdb(tmp_path / "oldest")
        for table, (db_rows, pq_rows) in counts.items():
            assert db_rows == pq_rows, table
