"""Parquet copies of the warehouse tables, one file per Hive partition, rewritten atomically.

Layout: ``<root>/<table>/<partition_key>=YYYY-MM-DD/data.parquet`` where the date is the UTC date
of the table's partition column (see :mod:`warehouse.schema`). A partition is rewritten whole
from DuckDB: the new file is written under a hidden temporary name in the same directory
(``.data.parquet.tmp-<uuid>``: it neither ends in ``.parquet`` nor escapes pyarrow's rule of
skipping names that start with a dot), fsynced, then renamed over ``data.parquet``. A rename in
one directory is atomic, so a reader globbing ``*.parquet`` sees the old file or the new one,
never a half-written one. Dirty marks are cleared in DuckDB only after the file is in place: a
crash anywhere leaves the mark, and the next flush finishes the job.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Protocol

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from warehouse.layout import DATA_FILE, TMP_PREFIX
from warehouse.objectstore import S3ParquetStore
from warehouse.parquet_files import partition_dir, written_records
from warehouse.schema import Table, table
from warehouse.sqlfiles import store_sql, table_sql

ONE_DAY = timedelta(days=1)


class ParquetTarget(Protocol):
    """What a flush needs of an open warehouse (:class:`warehouse.store.Warehouse` is one): the
    DuckDB connection to read rows and dirty marks from, and where the files go."""

    @property
    def connection(self) -> duckdb.DuckDBPyConnection: ...

    @property
    def parquet_root(self) -> Path: ...

    @property
    def object_store(self) -> S3ParquetStore | None: ...


@dataclass(frozen=True)
class FlushResult:
    written: int  # partitions (re)written
    removed: int  # partitions deleted because they hold no row any more
    rows: int  # rows in the written partitions


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_temporaries(directory: Path) -> None:
    # Left behind by a crash during a write; never visible to readers, but not kept either.
    for stale in directory.glob(TMP_PREFIX + "*"):
        stale.unlink(missing_ok=True)


def rewrite_partition(
    root: Path, object_store: S3ParquetStore | None, tbl: Table, day: date, data: pa.Table
) -> int:
    """Make the Parquet partition hold exactly ``data`` (the partition's rows in DuckDB);
    returns the row count (0: removed)."""
    if object_store is not None:
        # S3: one PUT of the whole file replaces the object atomically (no rename there).
        return object_store.write_partition(tbl, day, data)
    directory = partition_dir(root, tbl, day)
    if data.num_rows == 0:
        if directory.exists():
            for path in directory.iterdir():
                path.unlink()
            directory.rmdir()
            _fsync_dir(directory.parent)
        return 0
    directory.mkdir(parents=True, exist_ok=True)
    _remove_temporaries(directory)
    tmp = directory / f"{TMP_PREFIX}{uuid.uuid4().hex}"
    pq.write_table(data, tmp, compression="zstd")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, directory / DATA_FILE)
    # Any other Parquet file in the partition (none in this layout) would duplicate rows.
    for other in directory.glob("*.parquet"):
        if other.name != DATA_FILE:
            other.unlink()
    _fsync_dir(directory)
    return data.num_rows


# Rows read by one flush query at most: a first load marks every day dirty, and reading a whole
# table at once would hold all of it in memory; a smaller chunk only costs a few more queries
# (measurements: benchmarks/RESULTS.md, "Measurements behind the warehouse's settings").
FLUSH_ROWS_PER_QUERY = 100_000


def _day_chunks(counts: dict[date, int], days: list[date]) -> list[list[date]]:
    """Runs of consecutive dirty days, each holding at most FLUSH_ROWS_PER_QUERY rows (or one
    day, however big)."""
    chunks: list[list[date]] = []
    rows = 0
    for day in sorted(days):
        n = counts.get(day, 0)
        last = chunks[-1] if chunks else None
        if last and day - last[-1] == ONE_DAY and rows + n <= FLUSH_ROWS_PER_QUERY:
            last.append(day)
            rows += n
        else:
            chunks.append([day])
            rows = n
    return chunks


def _read_rows(
    con: duckdb.DuckDBPyConnection, rows_sql: str, lo: datetime, hi: datetime, expected: int
) -> pa.Table:
    """The rows of ``rows_sql`` between two instants, in its ``ORDER BY`` order.

    A day bigger than one chunk (a project with thousands of runs a day) is read unsorted, in
    batches, and sorted by pyarrow: DuckDB holds a sorted result whole inside its memory cap,
    which a day of a large project's task rows can exceed, while the batches of a plain scan
    stay small (the Arrow table lives outside the cap). Both give the same order.
    """
    if expected <= FLUSH_ROWS_PER_QUERY:
        return con.sql(rows_sql, params=[lo, hi]).to_arrow_table()
    select, _, order = rows_sql.rpartition("ORDER BY")
    keys = [(column.strip().strip('"'), "ascending") for column in order.split(",")]
    reader = con.sql(select, params=[lo, hi]).to_arrow_reader(STREAM_BATCH_ROWS)
    return reader.read_all().sort_by(keys)


# Rows per Arrow batch when a big day is read unsorted (see _read_rows).
STREAM_BATCH_ROWS = 50_000


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), UTC)


def _split_by_day(data: pa.Table) -> dict[date, pa.Table]:
    """Slices of a table sorted by its ``__day`` column, one per day, without that column."""
    runs = pc.run_end_encode(data.column("__day").combine_chunks())
    body = data.drop_columns(["__day"])
    out: dict[date, pa.Table] = {}
    start = 0
    for end, day in zip(runs.run_ends.to_pylist(), runs.values.to_pylist(), strict=True):
        out[day] = body.slice(start, end - start)
        start = end
    return out


# Local partition files are written by a few threads at once: Parquet encoding, compression and
# fsync release the GIL, and each day is its own directory. (S3 writes stay one at a time.)
WRITER_THREADS = min(4, os.cpu_count() or 1)


def _write_partitions(
    target: ParquetTarget, tbl: Table, parts: list[tuple[date, pa.Table]]
) -> list[int]:
    """:func:`rewrite_partition` for each (day, rows); every write has finished (or raised)
    when this returns, so the caller may clear the days' marks."""
    root, object_store = target.parquet_root, target.object_store

    def write(part: tuple[date, pa.Table]) -> int:
        return rewrite_partition(root, object_store, tbl, part[0], part[1])

    if object_store is not None or WRITER_THREADS < 2 or len(parts) < 2:
        return [write(p) for p in parts]
    with ThreadPoolExecutor(WRITER_THREADS, thread_name_prefix="parquet-writer") as pool:
        return list(pool.map(write, parts))


# What a dirty mark's table name stands for: the declaration naming its Parquet folder, and the
# statements giving its row count per day and its rows (with ``__day``) between two instants.
PartitionSource = tuple[Table, str, str]


def table_partitions(table_name: str) -> PartitionSource:
    """The source of an ingested table's partitions (its declaration in the schema)."""
    tbl = table(table_name)
    return tbl, table_sql("partition_run_counts", tbl), table_sql("partition_run_rows", tbl)


def flush_dirty_partitions(
    target: ParquetTarget,
    sources: Callable[[str], PartitionSource] = table_partitions,
    before: date | None = None,
    include: Callable[[str], bool] | None = None,
) -> FlushResult:
    """Rewrite every partition marked dirty, clearing the marks once their files are in place.

    The rows of a run of consecutive dirty days are read in one query, then each day's file is
    written on its own (atomic rename) and the run's marks are cleared together afterwards.
    ``sources``: what each marked name is (by default an ingested table). ``before``: only the
    days before this one (the others keep their marks for a later flush). ``include``: only the
    marked names it accepts (the others keep their marks too).
    """
    con = target.connection
    written = removed = rows = 0
    clear = store_sql("clear_dirty_partitions")
    forget, record = store_sql("forget_parquet_files"), store_sql("record_parquet_files")
    dirty: dict[str, list[date]] = {}
    for table_name, day in con.execute(store_sql("dirty_partitions")).fetchall():
        if (before is None or day < before) and (include is None or include(table_name)):
            dirty.setdefault(table_name, []).append(day)
    for table_name, days in dirty.items():
        tbl, counts_sql, rows_sql = sources(table_name)
        lo, hi = _utc_midnight(min(days)), _utc_midnight(max(days) + ONE_DAY)
        counts = dict(con.execute(counts_sql, [lo, hi]).fetchall())
        for chunk in _day_chunks(counts, days):
            lo, hi = _utc_midnight(chunk[0]), _utc_midnight(chunk[-1] + ONE_DAY)
            data = _read_rows(con, rows_sql, lo, hi, sum(counts.get(d, 0) for d in chunk))
            by_day = _split_by_day(data) if data.num_rows else {}
            empty = data.drop_columns(["__day"]).slice(0, 0)
            parts = [(day, by_day.get(day, empty)) for day in chunk]
            counts_written = _write_partitions(target, tbl, parts)
            for n in counts_written:
                if n:
                    written += 1
                    rows += n
                else:
                    removed += 1
            written_days = [d for d, n in zip(chunk, counts_written, strict=True) if n]
            records = written_records(target.parquet_root, target.object_store, tbl, written_days)
            # The files' records and the cleared marks commit together; a crash before that
            # leaves the marks, and the next flush writes and records the files again.
            con.begin()
            try:
                con.execute(forget, [table_name, chunk])
                if written_days:
                    con.execute(record, [table_name, *records])
                con.execute(clear, [table_name, chunk])
            except BaseException:
                con.rollback()
                raise
            con.commit()  # after the try: a failed commit ends the transaction itself
            # Let this chunk go before the next one is read: two alive at once raise the peak.
            del data, by_day, empty, parts
    return FlushResult(written=written, removed=removed, rows=rows)
