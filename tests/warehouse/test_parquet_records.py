"""The flush records each Parquet file it writes; the Parquet check trusts a record only while
the file's size and modification time are unchanged."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.support.detail_records import ms, synthetic_details
from tests.support.parquet import NOW
from warehouse.consistency import parquet_mismatches
from warehouse.flatten import flatten_details
from warehouse.layout import DATA_FILE
from warehouse.store import Warehouse

T0 = ms("2024-05-01T10:00:00")
DAY_MS = 86_400_000


def _records_over_days(days: int = 4) -> list[dict]:
    """Eight executions on each of ``days`` days."""
    out = []
    for k in range(days):
        out += synthetic_details(8, tasks_per_execution=3, start=T0 + k * DAY_MS, seed=k)
    assert len({r["id"] for r in out}) == len(out)
    return out


def _load(wh: Warehouse) -> None:
    wh.apply_batch(flatten_details(_records_over_days(), ingested_at=NOW))
    wh.flush()


def _loaded(directory: Path) -> dict[tuple[str, date], tuple[int, int, str]]:
    """A warehouse at ``directory`` with the records' days loaded and flushed; its files."""
    with Warehouse(directory) as wh:
        wh.ensure_schema(views=False)
        _load(wh)
        return _on_disk(wh)


def _copied_without_times(directory: Path, copy: Path) -> Path:
    """A copy of the warehouse whose Parquet files got new times, as `cp -r` or a restore gives."""
    shutil.copytree(directory, copy, copy_function=shutil.copyfile)
    for file in (copy / "parquet").glob(f"*/*=*/{DATA_FILE}"):
        stat = file.stat()
        os.utime(file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    return copy


def _on_disk(wh: Warehouse) -> dict[tuple[str, date], tuple[int, int, str]]:
    """(table, day) -> (footer rows, size, version: mtime in ns) of every local file."""
    out = {}
    for file in wh.parquet_root.glob(f"*/*=*/{DATA_FILE}"):
        stat = file.stat()
        day = date.fromisoformat(file.parent.name.partition("=")[2])
        out[(file.parent.parent.name, day)] = (
            pq.read_metadata(file).num_rows,
            stat.st_size,
            str(stat.st_mtime_ns),
        )
    return out


def _records(wh: Warehouse) -> dict[tuple[str, date], tuple[int, int, str]]:
    rows = wh.connection.execute(
        "SELECT table_name, partition_date, row_count, file_bytes, file_version FROM _parquet_files"
    ).fetchall()
    return {(t, d): (n, size, mtime) for t, d, n, size, mtime in rows}


def test_the_flush_records_every_file_it_writes_and_forgets_a_removed_one(wh: Warehouse) -> None:
    _load(wh)
    assert len(_on_disk(wh)) > 5
    assert _records(wh) == _on_disk(wh)
    # Every execution of one day moves to another: that day's files go, and their records.
    day = wh.connection.execute(
        "SELECT min(created_time)::DATE FROM workflow_executions"
    ).fetchone()[0]  # type: ignore[index]
    ids = [
        r[0]
        for r in wh.connection.execute(
            "SELECT execution_id FROM workflow_executions WHERE created_time::DATE = ?", [day]
        ).fetchall()
    ]
    moved = [
        {**r, "createdTime": r["createdTime"] + 40 * DAY_MS}
        for r in _records_over_days()
        if r["id"] in ids
    ]
    assert moved
    wh.apply_batch(flatten_details(moved, ingested_at=NOW))
    wh.flush()
    assert ("workflow_executions", day) not in _on_disk(wh)
    assert _records(wh) == _on_disk(wh)


def test_the_check_reads_only_the_footers_of_files_changed_since_they_were_written(
    wh: Warehouse,
) -> None:
    _load(wh)
    first = parquet_mismatches(wh)
    assert first.mismatches == [] and first.compared > 5 and first.footers_read == 0

    # The record is what the check believes while the file looks unchanged ...
    table, day = sorted(k for k in _records(wh) if k[0] == "task_executions")[0]
    wh.connection.execute(
        "UPDATE _parquet_files SET row_count = row_count + 1 "
        "WHERE table_name = ? AND partition_date = ?",
        [table, day],
    )
    believed = parquet_mismatches(wh)
    assert [(m.table, m.day) for m in believed.mismatches] == [(table, day)]
    assert believed.mismatches[0].parquet_rows == believed.mismatches[0].duckdb_rows + 1

    # ... and a file changed by hand is read again: one row fewer, its footer says so.
    path = wh.parquet_root / table / f"created_date={day.isoformat()}" / DATA_FILE
    rows = pq.read_table(path)
    pq.write_table(rows.slice(1), path)
    changed = parquet_mismatches(wh)
    assert changed.footers_read == 1
    assert [(m.parquet_rows, m.duckdb_rows) for m in changed.mismatches] == [
        (rows.num_rows - 1, rows.num_rows)
    ]

    # The same rows written back under a new modification time: read again, and equal.
    pq.write_table(rows, path)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    again = parquet_mismatches(wh)
    assert again.mismatches == [] and again.footers_read == 1


def test_a_warehouse_made_before_the_records_gets_them_from_the_footers_once(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "wh"
    on_disk = _loaded(directory)
    with Warehouse(directory) as wh:
        wh.connection.execute("DROP TABLE _parquet_files")
    # Checked read-only before any run of this version: every footer is read.
    with Warehouse(directory, read_only=True) as wh:
        comparison = parquet_mismatches(wh)
        assert comparison.mismatches == [] and comparison.footers_read == len(on_disk)
    # A damaged file there: left unrecorded for the check to report, the upgrade goes on.
    damaged = sorted(k for k in on_disk if k[0] == "workflow_executions")[-1]
    path = directory / "parquet" / damaged[0] / f"created_date={damaged[1].isoformat()}"
    (path / DATA_FILE).write_bytes(b"")
    with Warehouse(directory) as wh:
        wh.ensure_schema(views=False)
        assert _records(wh) == {k: v for k, v in on_disk.items() if k != damaged}
        with pytest.raises((OSError, ValueError)):  # pyarrow: "file size is 0 bytes"
            parquet_mismatches(wh)
        # The next flush writes the day again, and records it.
        wh.connection.execute(
            "INSERT INTO _dirty_partitions VALUES (?, ?)", [damaged[0], damaged[1]]
        )
        wh.flush()
        comparison = parquet_mismatches(wh)
        assert comparison.mismatches == [] and comparison.footers_read == 0
        assert _records(wh) == _on_disk(wh)


def test_a_copied_tree_is_restamped_by_the_next_writer_and_a_changed_file_stays_reported(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "wh"
    on_disk = _loaded(directory)
    copy = _copied_without_times(directory, tmp_path / "copy")
    # One file of the copy changed: a row fewer.
    changed = sorted(k for k in on_disk if k[0] == "task_executions")[-1]
    path = copy / "parquet" / changed[0] / f"created_date={changed[1].isoformat()}" / DATA_FILE
    rows = pq.read_table(path)
    pq.write_table(rows.slice(1), path)

    with Warehouse(copy, read_only=True) as wh:
        before = parquet_mismatches(wh)
    assert before.footers_read == len(on_disk)
    assert [(m.table, m.day) for m in before.mismatches] == [changed]
    # A writer's open re-stamps the files that still hold their recorded rows, once.
    with Warehouse(copy) as wh:
        wh.ensure_schema(views=False)
        restamped = _records(wh)
    copied = _on_disk_of(copy)
    assert restamped.keys() == copied.keys()
    assert {k: v for k, v in restamped.items() if k != changed} == {
        k: v for k, v in copied.items() if k != changed
    }
    assert restamped[changed] == on_disk[changed]  # its rows differ: left as written
    with Warehouse(copy, read_only=True) as wh:
        after = parquet_mismatches(wh)
    assert after.footers_read == 1
    assert [(m.table, m.day, m.parquet_rows) for m in after.mismatches] == [
        (*changed, rows.num_rows - 1)
    ]
    # The original tree, untouched, keeps its records as written.
    with Warehouse(directory) as wh:
        wh.ensure_schema(views=False)
        assert _records(wh) == on_disk


def test_a_copied_tree_whose_oldest_file_is_gone_is_restamped_too(tmp_path: Path) -> None:
    """The writer's open tells a copy by the oldest recorded file; with that file removed (by
    hand, or left out of a partial copy) it looks at the next one, and the check reports the
    missing file without reading every other footer again."""
    directory = tmp_path / "wh"
    on_disk = _loaded(directory)
    copy = _copied_without_times(directory, tmp_path / "copy")
    oldest = min(on_disk, key=lambda k: (k[1], k[0]))
    (copy / "parquet" / oldest[0] / f"created_date={oldest[1].isoformat()}" / DATA_FILE).unlink()

    with Warehouse(copy) as wh:
        wh.ensure_schema(views=False)
        restamped = _records(wh)
    copied = _on_disk_of(copy)
    assert oldest not in copied and len(copied) == len(on_disk) - 1
    assert {k: restamped[k] for k in copied} == copied
    with Warehouse(copy, read_only=True) as wh:
        after = parquet_mismatches(wh)
    assert after.footers_read == 0
    assert [(m.table, m.day) for m in after.mismatches] == [oldest]


def _on_disk_of(directory: Path) -> dict[tuple[str, date], tuple[int, int, str]]:
    with Warehouse(directory, read_only=True) as wh:
        return _on_disk(wh)
