"""History backfills that fetch in parallel and merge one at a time under the writer lock."""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from cdf_simulator import Simulator, create_app
from ingest.executions import IngestReport, IngestSettings, ProgressCallback
from ingest.runner import run_ingest
from tests.support.ingest import parquet_matches_duckdb, snapshot
from tests.support.sim import SIM_NOW_MS, cdf_config_for, small_sim_config
from warehouse.lock import WarehouseBusyError, WriterLock

DAY_MS = 86_400_000
FIRST_DAY = (SIM_NOW_MS // DAY_MS - 6) * DAY_MS  # a UTC midnight six days before the clock


def _backfill(
    directory: Path,
    transport: httpx.AsyncBaseTransport,
    day: int,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    start = FIRST_DAY + day * DAY_MS
    settings = IngestSettings(window_start_ms=start, window_end_ms=start + DAY_MS)
    return run_ingest(
        cdf_config_for("http://127.0.0.1"),
        directory,
        settings,
        transport=transport,
        progress=progress,
    )


def _lock_is_free(directory: Path) -> bool:
    try:
        with WriterLock(directory, timeout_s=0):
            return True
    except WarehouseBusyError:
        return False


def test_parallel_backfill_days_equal_the_same_days_one_after_another(tmp_path: Path) -> None:
    sim = Simulator(small_sim_config())
    transport = httpx.ASGITransport(app=create_app(sim))
    days = range(4)
    sequential = [_backfill(tmp_path / "sequential", transport, d) for d in days]
    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(lambda d: _backfill(tmp_path / "parallel", transport, d), days))
    assert sum(r.listed for r in parallel) == sum(r.listed for r in sequential) > 0
    # Each parallel day was merged as new rows (the midnight overlap aside), none lost.
    assert snapshot(tmp_path / "parallel") == snapshot(tmp_path / "sequential")
    parquet_matches_duckdb(tmp_path / "parallel")


def test_backfill_next_to_nightly_run_changes_nothing_and_leaves_no_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch_parent = tmp_path / "tmp"
    scratch_parent.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch_parent))
    sim = Simulator(small_sim_config())
    transport = httpx.ASGITransport(app=create_app(sim))
    config = cdf_config_for("http://127.0.0.1")
    run_ingest(config, tmp_path / "wh", transport=transport)
    before = snapshot(tmp_path / "wh")
    seen_while_fetching: list[tuple[bool, int]] = []

    def progress(_: IngestReport) -> None:
        staged = [p for p in scratch_parent.iterdir() if p.name.startswith("workflow-analytics")]
        seen_while_fetching.append((_lock_is_free(tmp_path / "wh"), len(staged)))

    report = _backfill(tmp_path / "wh", transport, 2, progress)
    # While the day was fetched, it was staged in a scratch directory and the warehouse's
    # writer lock was free for others.
    assert seen_while_fetching
    assert all(free and staged == 1 for free, staged in seen_while_fetching)
    assert report.listed > 0
    assert report.executions_inserted == 0  # the nightly load had every one of them
    assert report.executions_updated == report.listed
    assert snapshot(tmp_path / "wh") == before
    assert list(scratch_parent.iterdir()) == []  # the staged day is gone once merged
