"""The Parquet partition files as they are, and as the flush recorded them when it wrote them.

Each partition of the tree is one file, ``<table>/<partition_key>=YYYY-MM-DD/data.parquet``,
on disk or on S3. The flush reads back the footer of each file it writes and records its row
count with a *stamp* of the file: its size and its version (a local file's modification time
in ns, an S3 object's ETag), in ``_parquet_files``, in the transaction that clears the
partition's dirty mark. The Parquet check (:mod:`warehouse.consistency`) takes a file's row
count from that record while the file's stamp is unchanged, and reads its footer otherwise: a
night reads footers only where something changed the tree, however many days it keeps.

A local tree copied or restored (``cp -r``, a backup, ``rsync`` without times) holds the same
files under new modification times, and the check would read every footer on every run after.
So a writer's open looks at one recorded file (:func:`refresh_records`); when its stamp changed,
each changed file's footer is read once, and a file that still holds its recorded rows takes
its new stamp. A file whose rows differ keeps its record, for the check to report.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.columns import present_columns
from warehouse.layout import DATA_FILE
from warehouse.objectstore import S3ParquetStore
from warehouse.schema import PARQUET_FILES, Table
from warehouse.sqlfiles import store_sql


@dataclass(frozen=True)
class PartitionFile:
    """One partition's ``data.parquet`` as listed now."""

    day: date
    location: str  # a local path, or an S3 object's bucket/key
    size: int
    version: str  # a local file's modification time in ns; an S3 object's ETag


def partition_dir(root: Path, tbl: Table, day: date) -> Path:
    return root / tbl.name / f"{tbl.partition_key}={day.isoformat()}"


def _day(folder: str, prefix: str | None = None) -> date | None:
    """The date a partition folder names (``key=YYYY-MM-DD``), or None for any other name."""
    key, sep, value = folder.partition("=")
    if not sep or (prefix is not None and key != prefix):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _local(path: Path, day: date) -> PartitionFile:
    stat = path.stat()
    return PartitionFile(day, str(path), stat.st_size, str(stat.st_mtime_ns))


def _s3(path: str, info: dict, day: date) -> PartitionFile:
    return PartitionFile(day, path, int(info["size"]), str(info.get("ETag") or ""))


def listed_files(root: Path, store: S3ParquetStore | None, tbl: Table) -> dict[date, PartitionFile]:
    """Every partition file of ``tbl`` present now, by day (one listing on S3)."""
    out: dict[date, PartitionFile] = {}
    if store is None:
        for path in (root / tbl.name).glob(f"{tbl.partition_key}=*/{DATA_FILE}"):
            day = _day(path.parent.name, tbl.partition_key)
            if day is not None:
                out[day] = _local(path, day)
        return out
    for path, info in store.listing(f"{store.root}/{tbl.name}").items():
        parts = path.rsplit("/", 2)
        if len(parts) == 3 and parts[2] == DATA_FILE:
            day = _day(parts[1], tbl.partition_key)
            if day is not None:
                out[day] = _s3(path, info, day)
    return out


def footer_rows(store: S3ParquetStore | None, file: PartitionFile) -> int:
    """The row count in a file's footer (a few range reads on S3)."""
    if store is None:
        return pq.read_metadata(file.location).num_rows
    with store.fs.open(file.location, "rb") as handle:
        return pq.ParquetFile(handle).metadata.num_rows


def written_records(
    root: Path, store: S3ParquetStore | None, tbl: Table, days: list[date]
) -> list[list[object]]:
    """(days, row counts, sizes, versions) of the files the flush has just written for
    ``days``, as ``record_parquet_files.sql`` takes them. The row count is read back from each
    file's footer, not taken from what was meant to be written: the check trusts the record."""
    columns: list[list[object]] = [[], [], [], []]
    for day in days:
        if store is None:
            file = _local(partition_dir(root, tbl, day) / DATA_FILE, day)
        else:
            path = f"{store.partition_path(tbl, day)}/{DATA_FILE}"
            file = _s3(path, store.fs.info(path), day)
        values = (day, footer_rows(store, file), file.size, file.version)
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    return columns


Records = dict[tuple[str, date], tuple[int, int, str]]


def recorded(con: duckdb.DuckDBPyConnection) -> Records:
    """(rows, size, version) of each recorded file, by (table, day); nothing for a warehouse no
    run of this version has opened yet (the check then reads every footer)."""
    if not present_columns(con, PARQUET_FILES.name):
        return {}
    rows = con.execute(store_sql("parquet_file_records")).fetchall()
    return {(t, day): (int(n), int(size), str(version)) for t, day, n, size, version in rows}


def _all_files(root: Path, store: S3ParquetStore | None) -> Iterator[tuple[str, PartitionFile]]:
    if store is None:
        for path in sorted(root.glob(f"*/*=*/{DATA_FILE}")):
            day = _day(path.parent.name)
            if day is None:
                continue
            try:
                file = _local(path, day)
            except OSError:
                continue  # removed since the listing: as if it had not been there
            yield path.parent.parent.name, file
        return
    for path, info in sorted(store.listing(store.root).items()):
        parts = path.rsplit("/", 3)
        if len(parts) == 4 and parts[3] == DATA_FILE:
            day = _day(parts[2])
            if day is not None:
                yield parts[1], _s3(path, info, day)


def record_existing_files(
    con: duckdb.DuckDBPyConnection, root: Path, store: S3ParquetStore | None
) -> int:
    """Record every partition file already in the tree, with its footer's row count: a
    warehouse written before the flush kept records gets them once, when their table is made.
    Returns the files recorded."""
    if store is None and not root.is_dir():
        return 0
    found: dict[str, list[list[object]]] = {}
    seen: set[tuple[str, date]] = set()
    for table_name, file in _all_files(root, store):
        if (table_name, file.day) in seen:
            continue  # a second folder naming the same day: not ours
        try:
            rows = footer_rows(store, file)
        except (OSError, pa.ArrowException):
            # Unreadable: left unrecorded, so the Parquet check reads it (and reports it) like
            # any file changed by hand.
            continue
        seen.add((table_name, file.day))
        columns = found.setdefault(table_name, [[], [], [], []])
        for column, value in zip(columns, (file.day, rows, file.size, file.version), strict=True):
            column.append(value)
    record = store_sql("record_parquet_files")
    for table_name, columns in found.items():
        con.execute(record, [table_name, *columns])
    return len(seen)


def refresh_records(
    con: duckdb.DuckDBPyConnection, root: Path, store: S3ParquetStore | None, *, unrecorded: bool
) -> int:
    """Bring the records in step with the tree when a writer opens the warehouse: every file's,
    from its footer, for a warehouse made before the records (``unrecorded``); else, when the
    oldest recorded local file still there has another stamp now (the tree was copied), the
    stamps of the files that still hold their recorded rows. Returns the files recorded or
    re-stamped. An S3 tree is left as it is: a copy usually keeps an object's ETag."""
    if unrecorded:
        return record_existing_files(con, root, store)
    if store is not None or not _copied(con, root):
        return 0
    records = recorded(con)
    changed: list[list[object]] = [[], [], [], []]
    seen: set[tuple[str, date]] = set()
    for table_name, file in _all_files(root, None):
        record = records.get((table_name, file.day))
        if (table_name, file.day) in seen or record is None:
            continue  # unrecorded, or a second folder naming the same day (not ours)
        seen.add((table_name, file.day))
        if record[1:] == (file.size, file.version):
            continue
        try:
            rows = footer_rows(None, file)
        except (OSError, pa.ArrowException):
            continue  # unreadable: the check reads and reports it
        if rows == record[0]:
            values = (table_name, file.day, file.size, file.version)
            for column, value in zip(changed, values, strict=True):
                column.append(value)
    if changed[0]:
        con.execute(store_sql("restamp_parquet_files"), changed)
    return len(changed[0])


def _copied(con: duckdb.DuckDBPyConnection, root: Path) -> bool:
    """Whether the oldest recorded file still there has another stamp (a stat or a few: a
    file removed by hand is passed over, and the check reports it)."""
    for table_name, day, size, version in con.execute(
        store_sql("oldest_parquet_record")
    ).fetchall():
        for path in (root / table_name).glob(f"*={day.isoformat()}/{DATA_FILE}"):
            try:
                now = _local(path, day)
            except OSError:
                break
            return (size, version) != (now.size, now.version)
    return False
