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
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq

from warehouse.schema import EXPORTED_TABLES, Table, quote_identifier, table
from warehouse.sqlfiles import store_sql

if TYPE_CHECKING:
    from warehouse.store import Warehouse

DATA_FILE = "data.parquet"
TMP_PREFIX = ".data.parquet.tmp-"


@dataclass(frozen=True)
class FlushResult:
    written: int  # partitions (re)written
    removed: int  # partitions deleted because they hold no row any more
    rows: int  # rows in the written partitions


def partition_dir(root: Path, tbl: Table, day: date) -> Path:
    return root / tbl.name / f"{tbl.partition_key}={day.isoformat()}"


def _partition_query(tbl: Table) -> str:
    # Identifiers come from schema.py through the quoting helper; the date is a parameter.
    if tbl.partition_column is None:
        raise ValueError(f"{tbl.name} is not exported to Parquet")
    columns = ", ".join(quote_identifier(c) for c in tbl.column_names)
    order = ", ".join(quote_identifier(k) for k in tbl.key)
    part = quote_identifier(tbl.partition_column)
    return (
        f"SELECT {columns} FROM {quote_identifier(tbl.name)} "
        f"WHERE ({part} AT TIME ZONE 'UTC')::DATE = $1 ORDER BY {order}"
    )


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


def rewrite_partition(warehouse: Warehouse, tbl: Table, day: date) -> int:
    """Make the Parquet partition hold exactly DuckDB's rows; returns the row count (0: removed)."""
    directory = partition_dir(warehouse.parquet_root, tbl, day)
    data = warehouse.connection.sql(_partition_query(tbl), params=[day]).to_arrow_table()
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


def flush_dirty_partitions(warehouse: Warehouse) -> FlushResult:
    """Rewrite every partition marked dirty, clearing each mark once its file is in place."""
    con = warehouse.connection
    written = removed = rows = 0
    clear = store_sql("clear_dirty_partition")
    for table_name, day in warehouse.dirty_partitions():
        n = rewrite_partition(warehouse, table(table_name), day)
        if n:
            written += 1
            rows += n
        else:
            removed += 1
        con.execute(clear, [table_name, day])
    return FlushResult(written=written, removed=removed, rows=rows)


def export_all(warehouse: Warehouse) -> FlushResult:
    """Rebuild every partition of every table from DuckDB (repair tool), then clear the marks.

    Partitions on disk that DuckDB has no row for are removed, so the tree ends up exactly the
    tables' content whatever state it was in.
    """
    con = warehouse.connection
    written = removed = rows = 0
    for tbl in EXPORTED_TABLES:
        assert tbl.partition_column is not None
        part = quote_identifier(tbl.partition_column)
        days = {
            r[0]
            for r in con.execute(
                f"SELECT DISTINCT ({part} AT TIME ZONE 'UTC')::DATE "
                f"FROM {quote_identifier(tbl.name)} WHERE {part} IS NOT NULL"
            ).fetchall()
        }
        table_dir = warehouse.parquet_root / tbl.name
        prefix = f"{tbl.partition_key}="
        if table_dir.is_dir():
            for sub in table_dir.iterdir():
                if sub.is_dir() and sub.name.startswith(prefix):
                    try:
                        days.add(date.fromisoformat(sub.name[len(prefix) :]))
                    except ValueError:
                        continue  # not ours: leave it alone
        for day in sorted(days):
            n = rewrite_partition(warehouse, tbl, day)
            if n:
                written += 1
                rows += n
            else:
                removed += 1
    con.execute(store_sql("clear_all_dirty_partitions"))
    return FlushResult(written=written, removed=removed, rows=rows)
