"""Concurrent writers: two ingests at once, an ingest during a backfill, a writer that holds the
lock too long. One waits (warehouse.lock.WriterLock) or stops with a clear message; the warehouse
ends complete and consistent."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from cdf_simulator import FaultConfig, run_server
from ingest.executions import IngestReport, IngestSettings
from ingest.runner import run_ingest
from tests.support.ingest import parquet_matches_duckdb, snapshot
from tests.support.reliability import PAGE_SIZE, REPO, config_for, fingerprint, tiny_sim
from tests.support.sim import SIM_NOW_MS
from warehouse.lock import WarehouseBusyError, WriterLock

DAY_MS = 86_400_000


@pytest.mark.integration
def test_two_ingests_at_once_in_two_processes_both_finish_and_lose_nothing(
    clean_snapshot: dict[str, Any], tmp_path: Path
) -> None:
    directory = tmp_path / "wh"
    sim = tiny_sim(FaultConfig(latency_ms=10))  # each run lasts about a second
    with run_server(sim) as url:
        children = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.reliability.crash_child",
                    url,
                    str(directory),
                    "none",
                ],
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [child.communicate(timeout=120) for child in children]
    for child, (out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err[-2000:]
        assert out.strip().endswith("DONE")
    assert snapshot(directory) == clean_snapshot
    parquet_matches_duckdb(directory)


@pytest.mark.integration
def test_ingest_during_a_backfill_waits_and_both_land(
    clean_snapshot: dict[str, Any], tmp_path: Path
) -> None:
    directory = tmp_path / "wh"
    sim = tiny_sim(FaultConfig(latency_ms=15))
    reports: dict[str, IngestReport] = {}
    errors: list[BaseException] = []
    backfill = IngestSettings(
        window_start_ms=SIM_NOW_MS - 4 * DAY_MS,
        window_end_ms=SIM_NOW_MS - 2 * DAY_MS,
        page_size=PAGE_SIZE,
    )

    def run(name: str, url: str, settings: IngestSettings) -> None:
        try:
            reports[name] = run_ingest(config_for(url), directory, settings)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    with run_server(sim) as url:
        first = threading.Thread(target=run, args=("backfill", url, backfill))
        first.start()
        # The backfill holds the lock while it lists and fetches; the nightly run starts then.
        lock_file = directory / "workflows.duckdb.lock"
        while first.is_alive() and not (lock_file.exists() and lock_file.read_text()):
            time.sleep(0.005)
        second = threading.Thread(
            target=run, args=("nightly", url, IngestSettings(page_size=PAGE_SIZE))
        )
        second.start()
        first.join(timeout=120)
        second.join(timeout=120)
    assert not errors, errors
    assert reports["backfill"].listed > 0 and reports["nightly"].listed > 0
    assert snapshot(directory) == clean_snapshot
    parquet_matches_duckdb(directory)


def test_a_writer_holding_the_lock_too_long_stops_the_run_clearly(tmp_path: Path) -> None:
    import httpx

    from cdf_simulator import create_app

    directory = tmp_path / "wh"
    transport = httpx.ASGITransport(app=create_app(tiny_sim()))
    run_ingest(config_for(), directory, IngestSettings(page_size=PAGE_SIZE), transport=transport)
    with WriterLock(directory):
        before = fingerprint(directory)
        with pytest.raises(WarehouseBusyError) as info:
            run_ingest(config_for(), directory, transport=transport, lock_timeout_s=0.5)
        after = fingerprint(directory)
    message = str(info.value)
    assert "being written by another run" in message and "pid" in message
    assert "\n" not in message
    assert after == before


def test_the_steps_after_the_ingest_wait_for_the_writer_lock_too(tmp_path: Path) -> None:
    """The analytics and alerts steps open the warehouse through the Dagster resource: a
    writable open waits while a backfill's merge or a backup (`flock ... cp -a`) holds the
    lock, so neither sees a half-written file; a read-only open (the checks) does not wait."""
    from assets.resources import WarehouseResource

    directory = tmp_path / "wh"
    resource = WarehouseResource(directory=str(directory))
    with resource.open() as wh:
        wh.ensure_schema()
    opened = threading.Event()

    def writer() -> None:
        with resource.open() as wh:
            wh.connection.execute("SELECT 1")
            opened.set()

    with WriterLock(directory):
        thread = threading.Thread(target=writer)
        thread.start()
        assert not opened.wait(1.0)
        with resource.open(read_only=True) as wh:
            assert wh.connection.execute("SELECT count(*) FROM workflow_executions").fetchone()
    assert opened.wait(30)
    thread.join(30)
