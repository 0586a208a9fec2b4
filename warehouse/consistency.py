"""Does the Parquet tree hold what DuckDB holds? Row counts per table and partition day.

The ingest rewrites a Parquet partition whole from DuckDB after every committed change and keeps
a dirty mark until the file is in place, so outside a running ingest every partition that is not
marked dirty must have exactly DuckDB's row count for that UTC day. A difference means the copy
that readers of the Parquet tree see is wrong: rows written to DuckDB by something other than
the ingest, a file changed or removed by hand, or a bug in the flush. Comparing counts reads only
the Parquet footers, so the check stays cheap at any size. The flush reads back the footer of
each file it writes and records it with the file's size and modification time
(``_parquet_files``); the check takes a local file's row count from that record while the size
and time are unchanged, and reads the footer otherwise, so a night's checks read no footer of
the files the flush just checked, nor of every day kept. (An S3 tree's footers are all read:
its files are not recorded.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq

from warehouse.columns import present_columns
from warehouse.layout import DATA_FILE
from warehouse.schema import EXPORTED_TABLES, PARQUET_FILES, Table, quote_identifier
from warehouse.sqlfiles import store_sql

if TYPE_CHECKING:
    from warehouse.store import Warehouse


DAY_MS = 86_400_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@dataclass(frozen=True)
class PartitionMismatch:
    table: str
    day: date
    duckdb_rows: int
    parquet_rows: int


def _duckdb_counts(wh: Warehouse, tbl: Table) -> dict[date, int]:
    assert tbl.partition_column is not None
    part = quote_identifier(tbl.partition_column)
    # The UTC day as a number of days since the epoch: integer arithmetic on every row, where a
    # time zone conversion per row costs several times more on a large table.
    rows = wh.connection.execute(
        f"SELECT epoch_ms({part}) // {DAY_MS} AS day, count(*) "
        f"FROM {quote_identifier(tbl.name)} WHERE {part} IS NOT NULL GROUP BY day"
    ).fetchall()
    return {date.fromordinal(_EPOCH_ORDINAL + int(day)): int(n) for day, n in rows}


def _recorded(wh: Warehouse, tbl: Table) -> dict[date, tuple[int, int, int]]:
    """(rows, size, modification time in ns) of each file of ``tbl`` as the flush wrote it;
    nothing for a warehouse no run of this version has opened yet (the check then reads every
    footer, as it does read-only)."""
    if not present_columns(wh.connection, PARQUET_FILES.name):
        return {}
    rows = wh.connection.execute(store_sql("parquet_file_records"), [tbl.name]).fetchall()
    return {day: (int(n), int(size), int(mtime)) for day, n, size, mtime in rows}


def _local_counts(
    root: Path, tbl: Table, recorded: dict[date, tuple[int, int, int]]
) -> tuple[dict[date, int], int]:
    """Rows per day in the local files, and how many footers were read to know them."""
    counts: dict[date, int] = {}
    footers = 0
    prefix = f"{tbl.partition_key}="
    for file in (root / tbl.name).glob(f"{prefix}*/{DATA_FILE}"):
        try:
            day = date.fromisoformat(file.parent.name[len(prefix) :])
        except ValueError:
            continue
        stat = file.stat()
        record = recorded.get(day)
        if record is not None and record[1:] == (stat.st_size, stat.st_mtime_ns):
            counts[day] = record[0]
        else:
            counts[day] = pq.read_metadata(file).num_rows
            footers += 1
    return counts, footers


def _object_store_counts(wh: Warehouse, tbl: Table) -> dict[date, int]:
    store = wh.object_store
    assert store is not None
    counts: dict[date, int] = {}
    for day in store.partition_days(tbl):
        with store.fs.open(f"{store.partition_path(tbl, day)}/{DATA_FILE}", "rb") as f:
            counts[day] = pq.ParquetFile(f).metadata.num_rows
    return counts


@dataclass(frozen=True)
class ParquetComparison:
    mismatches: list[PartitionMismatch]
    compared: int  # partitions compared (every table and day not marked dirty)
    footers_read: int  # files whose footer was read (the others matched their record)


def parquet_mismatches(wh: Warehouse) -> ParquetComparison:
    """Partitions whose Parquet row count differs from DuckDB's, and how many were compared.

    Partitions marked dirty are skipped: the next flush rewrites them by design."""
    dirty = set(wh.dirty_partitions())
    mismatches: list[PartitionMismatch] = []
    compared = footers = 0
    for tbl in EXPORTED_TABLES:
        in_duckdb = _duckdb_counts(wh, tbl)
        if wh.object_store is not None:
            in_parquet = _object_store_counts(wh, tbl)
            footers += len(in_parquet)
        else:
            in_parquet, read = _local_counts(wh.parquet_root, tbl, _recorded(wh, tbl))
            footers += read
        for day in sorted(in_duckdb.keys() | in_parquet.keys()):
            if (tbl.name, day) in dirty:
                continue
            compared += 1
            db, pqt = in_duckdb.get(day, 0), in_parquet.get(day, 0)
            if db != pqt:
                mismatches.append(PartitionMismatch(tbl.name, day, db, pqt))
    return ParquetComparison(mismatches, compared, footers)
