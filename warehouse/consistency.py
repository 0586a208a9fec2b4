"""Does the Parquet tree hold what DuckDB holds? Row counts per table and partition day.

The ingest rewrites a Parquet partition whole from DuckDB after every committed change and keeps
a dirty mark until the file is in place, so outside a running ingest every partition that is not
marked dirty must have exactly DuckDB's row count for that UTC day. A difference means the copy
that readers of the Parquet tree see is wrong: rows written to DuckDB by something other than
the ingest, a file changed or removed by hand, or a bug in the flush. Comparing counts reads only
the Parquet footers, and only those of files changed since the flush wrote them (it reads back
and records each file it writes, see :mod:`warehouse.parquet_files`), so a night's check
costs DuckDB's counts per day and one listing of the tree, however many days it keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from warehouse.parquet_files import Records, footer_rows, listed_files, recorded
from warehouse.schema import EXPORTED_TABLES, Table, quote_identifier

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


def _parquet_counts(wh: Warehouse, tbl: Table, records: Records) -> tuple[dict[date, int], int]:
    """Rows per day in the table's Parquet files, and how many footers were read to know them
    (the others had the size and version the flush recorded when it wrote them)."""
    store = wh.object_store
    counts: dict[date, int] = {}
    footers = 0
    for day, file in listed_files(wh.parquet_root, store, tbl).items():
        record = records.get((tbl.name, day))
        if record is not None and record[1:] == (file.size, file.version):
            counts[day] = record[0]
        else:
            counts[day] = footer_rows(store, file)
            footers += 1
    return counts, footers


@dataclass(frozen=True)
class ParquetComparison:
    mismatches: list[PartitionMismatch]
    compared: int  # partitions compared (every table and day not marked dirty)
    footers_read: int  # files whose footer was read (the others matched their record)


def parquet_mismatches(wh: Warehouse) -> ParquetComparison:
    """Partitions whose Parquet row count differs from DuckDB's, and how many were compared.

    Partitions marked dirty are skipped: the next flush rewrites them by design."""
    dirty = set(wh.dirty_partitions())
    records = recorded(wh.connection)
    mismatches: list[PartitionMismatch] = []
    compared = footers = 0
    for tbl in EXPORTED_TABLES:
        in_duckdb = _duckdb_counts(wh, tbl)
        in_parquet, read = _parquet_counts(wh, tbl, records)
        footers += read
        for day in sorted(in_duckdb.keys() | in_parquet.keys()):
            if (tbl.name, day) in dirty:
                continue
            compared += 1
            db, pqt = in_duckdb.get(day, 0), in_parquet.get(day, 0)
            if db != pqt:
                mismatches.append(PartitionMismatch(tbl.name, day, db, pqt))
    return ParquetComparison(mismatches, compared, footers)
