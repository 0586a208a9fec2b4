"""The Parquet tree the flush writes: equal to DuckDB after each batch, one file per UTC day,
atomic rewrites."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.support.detail_records import execution, ms, synthetic_details, task_execution
from tests.support.parquet import NOW, assert_parquet_matches, partition_dates
from warehouse import parquet
from warehouse.flatten import FlatBatch, flatten_details
from warehouse.parquet import flush_dirty_partitions
from warehouse.schema import DATA_TABLES
from warehouse.store import Warehouse

T0 = ms("2024-05-01T10:00:00")
DAY = 86_400_000


def batch_of(*records: object, at=NOW) -> FlatBatch:
    return flatten_details(list(records), ingested_at=at)


def test_parquet_matches_duckdb_after_each_apply(wh: Warehouse) -> None:
    records = synthetic_details(40, tasks_per_execution=4, start=T0, seed=7)
    for chunk in (records[:15], records[10:30], records[25:]):
        wh.apply_batch(batch_of(*chunk))
        wh.flush()
        assert_parquet_matches(wh)
    assert wh.counts()["workflow_executions"] == 40


def test_a_day_bigger_than_one_read_gives_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A big project's day is read unsorted in batches and sorted by pyarrow (DuckDB would hold
    # the sorted day inside its memory cap): the same rows in the same order as DuckDB's read.
    records = synthetic_details(60, tasks_per_execution=5, start=T0, seed=11)
    files: dict[str, dict[Path, pa.Table]] = {}
    for name, rows_per_query in (("sorted_by_duckdb", parquet.FLUSH_ROWS_PER_QUERY), ("big", 1)):
        monkeypatch.setattr(parquet, "FLUSH_ROWS_PER_QUERY", rows_per_query)
        monkeypatch.setattr(parquet, "STREAM_BATCH_ROWS", 7)  # several batches per day
        with Warehouse(tmp_path / name) as wh:
            wh.ensure_schema(views=False)
            wh.apply_batch(batch_of(*records))
            wh.flush()
            assert_parquet_matches(wh)
            root = wh.parquet_root
            # Every column but when each row was written.
            files[name] = {
                p.relative_to(root): pq.read_table(p).select(
                    [c for c in pq.read_schema(p).names if c != "updated_at"]
                )
                for p in root.rglob("*.parquet")
            }
    assert len(files["big"]) > 2 and files["big"].keys() == files["sorted_by_duckdb"].keys()
    for path, expected in files["sorted_by_duckdb"].items():
        assert files["big"][path].equals(expected), path


def test_moving_created_time_rewrites_both_partitions_and_drops_an_empty_one(
    wh: Warehouse,
) -> None:
    original = execution(execution_id="e1", created=T0, tasks=[task_execution("a")])
    wh.apply_batch(batch_of(original))
    wh.flush()
    assert partition_dates(wh, "workflow_executions") == {date(2024, 5, 1)}
    moved = execution(execution_id="e1", created=T0 + 3 * DAY, tasks=[task_execution("a")])
    wh.apply_batch(batch_of(moved))
    assert ("workflow_executions", date(2024, 5, 1)) in wh.dirty_partitions()
    assert ("workflow_executions", date(2024, 5, 4)) in wh.dirty_partitions()
    result = wh.flush()
    assert result.removed >= 2  # executions and tasks of 2024-05-01
    assert partition_dates(wh, "workflow_executions") == {date(2024, 5, 4)}
    assert partition_dates(wh, "task_executions") == {date(2024, 5, 4)}
    assert_parquet_matches(wh)


def test_crash_during_a_write_leaves_only_a_hidden_temporary_that_readers_skip(
    wh: Warehouse,
) -> None:
    wh.apply_batch(batch_of(execution(execution_id="e1", created=T0)))
    wh.flush()
    part = next(wh.parquet_root.glob("workflow_executions/*"))
    # what a kill in the middle of pq.write_table leaves behind: a truncated temporary file
    good = (part / "data.parquet").read_bytes()
    tmp = part / ".data.parquet.tmp-deadbeef"
    tmp.write_bytes(good[: len(good) // 2])
    assert_parquet_matches(wh)  # both readers ignore it (DuckDB glob and pyarrow.dataset)
    assert [p.name for p in part.glob("*.parquet")] == ["data.parquet"]
    wh.apply_batch(batch_of(execution(execution_id="e2", created=T0 + 1)))
    wh.flush()
    assert not tmp.exists()  # cleaned up by the next rewrite of that partition
    assert_parquet_matches(wh)


def test_partitions_use_the_utc_date_whatever_the_session_time_zone(wh: Warehouse) -> None:
    late_evening_utc = ms("2024-05-01T23:30:00")
    wh.connection.execute("SET TimeZone = 'Pacific/Kiritimati'")  # UTC+14
    wh.apply_batch(batch_of(execution(execution_id="e1", created=late_evening_utc)))
    flush_dirty_partitions(wh)
    assert partition_dates(wh, "workflow_executions") == {date(2024, 5, 1)}


def test_every_data_table_is_exported(wh: Warehouse) -> None:
    wh.apply_batch(batch_of(execution(tasks=[task_execution("a")]), {"id": "bad"}))
    wh.flush()
    for table in DATA_TABLES:
        assert list((wh.parquet_root / table.name).glob("*=*/data.parquet")), table.name
