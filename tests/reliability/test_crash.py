"""Crash safety: an ingest SIGKILLed anywhere is completed by the next run, which ends in the
warehouse a clean run gives; readers never see a partial or temporary Parquet file.

The ingest runs in a child process (``crash_child``) against a simulator served on 127.0.0.1 by
this process. The child stops dead at a named point (a patch inside the child, never in
production code) and is killed there; timed kills land wherever the run happens to be.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from cdf_simulator import FaultConfig, Simulator, run_server
from tests.support.ingest import ingest, parquet_matches_duckdb, snapshot
from tests.support.reliability import (
    PAGE_SIZE,
    REPO,
    config_for,
    inprocess,
    tiny_sim,
    visible_parquet,
)
from tests.support.sim import HOUR_MS
from warehouse.parquet import DATA_FILE, TMP_PREFIX

KILL_POINTS = [
    "listing",
    "fetching",
    "duckdb-write",
    "final-commit",
    "before-parquet",
    "parquet-temporary",
    "parquet-mid-flush",
    "last-run-record",
    "triggers",
]
# Where the killed run is the second one (12 h later: new, changed and still-open executions
# replace stored rows), the points where a write is half done.
INCREMENTAL_POINTS = ["duckdb-write", "final-commit", "parquet-temporary", "parquet-mid-flush"]


def _start_child(
    url: str, directory: Path, point: str
) -> tuple[subprocess.Popen[str], queue.Queue]:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.crash_child", url, str(directory), point],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            lines.put(line.strip())
        lines.put("EOF")

    threading.Thread(target=pump, daemon=True).start()
    return child, lines


def _kill_at(url: str, directory: Path, point: str) -> None:
    child, lines = _start_child(url, directory, point)
    try:
        line = lines.get(timeout=60)
    except queue.Empty:
        line = "timeout"
    if line != f"AT {point}":
        child.kill()
        _, err = child.communicate()
        pytest.fail(f"the child never reached {point!r} ({line}): {err[-2000:]}")
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL


def _assert_readers_see_only_whole_files(directory: Path) -> None:
    for name in visible_parquet(directory):
        assert Path(name).name == DATA_FILE, name
        pq.read_table(directory / name)  # complete and readable, never half written


@pytest.fixture(scope="module")
def incremental_reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A clean first load, then a clean run 12 h later."""
    directory = tmp_path_factory.mktemp("reference") / "wh"
    sim = tiny_sim()
    ingest(config_for(), directory, inprocess(sim), page_size=PAGE_SIZE)
    sim.clock.advance(12 * HOUR_MS)
    ingest(config_for(), directory, inprocess(sim), page_size=PAGE_SIZE)
    return snapshot(directory)


def _recover_and_check(url: str, directory: Path, expected: dict[str, Any]) -> None:
    _assert_readers_see_only_whole_files(directory)
    ingest(config_for(url), directory, page_size=PAGE_SIZE)  # DuckDB replays its WAL here
    assert snapshot(directory) == expected
    parquet_matches_duckdb(directory)
    _assert_readers_see_only_whole_files(directory)
    assert not list(directory.rglob(TMP_PREFIX + "*")), "temporaries left after recovery"


@pytest.mark.integration
@pytest.mark.parametrize("point", KILL_POINTS)
def test_first_load_killed_then_rerun_equals_a_clean_load(
    point: str, clean_snapshot: dict[str, Any], tmp_path: Path
) -> None:
    sim = tiny_sim()
    directory = tmp_path / "wh"
    with run_server(sim) as url:
        _kill_at(url, directory, point)
        _recover_and_check(url, directory, clean_snapshot)


@pytest.mark.integration
@pytest.mark.parametrize("point", INCREMENTAL_POINTS)
def test_incremental_run_killed_then_rerun_equals_clean_runs(
    point: str, incremental_reference: dict[str, Any], tmp_path: Path
) -> None:
    sim = tiny_sim()
    directory = tmp_path / "wh"
    ingest(config_for(), directory, inprocess(sim), page_size=PAGE_SIZE)
    sim.clock.advance(12 * HOUR_MS)
    with run_server(sim) as url:
        _kill_at(url, directory, point)
        _recover_and_check(url, directory, incremental_reference)


@pytest.mark.integration
@pytest.mark.slow
def test_repeated_timed_kills_then_one_full_run_equals_a_clean_load(
    clean_snapshot: dict[str, Any], tmp_path: Path
) -> None:
    """Six runs killed after 0.5 to 3 s (20 ms per request), wherever they are, then one run."""
    sim: Simulator = tiny_sim(FaultConfig(latency_ms=20))
    directory = tmp_path / "wh"
    with run_server(sim) as url:
        for delay in (0.5, 1.0, 1.5, 2.0, 2.5, 3.0):
            child, _ = _start_child(url, directory, "none")
            time.sleep(delay)
            os.kill(child.pid, signal.SIGKILL)
            # Killed, not finished before the kill (which would test nothing).
            assert child.wait(timeout=30) == -signal.SIGKILL, delay
            _assert_readers_see_only_whole_files(directory)
        _recover_and_check(url, directory, clean_snapshot)
