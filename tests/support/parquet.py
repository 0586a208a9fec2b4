"""Parquet read back by DuckDB and by pyarrow, compared with the warehouse's DuckDB tables."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.dataset as pds

from warehouse.schema import DATA_TABLES, Table, quote_identifier
from warehouse.store import Warehouse

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def parquet_rows_duckdb(root: Path, table: Table) -> pl.DataFrame:
    """A table's Parquet partitions read back by DuckDB with the readers' glob."""
    glob = str(root / table.name / "*" / "*.parquet")
    columns = ", ".join(quote_identifier(c) for c in table.stored_column_names)
    order = ", ".join(quote_identifier(k) for k in table.stored_key)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        # hive_partitioning adds the directory key as a column: it must equal the UTC date
        part = quote_identifier(table.partition_column or "")
        key = quote_identifier(table.partition_key)
        bad = con.execute(
            f"SELECT count(*) FROM read_parquet($1, hive_partitioning = true) "
            f"WHERE {key}::DATE <> ({part} AT TIME ZONE 'UTC')::DATE",
            [glob],
        ).fetchall()
        assert bad == [(0,)]
        rel = con.sql(
            f"SELECT {columns} FROM read_parquet($1, hive_partitioning = true) ORDER BY {order}",
            params=[glob],
        )
        return pl.from_arrow(rel.to_arrow_table())  # type: ignore[return-value]
    finally:
        con.close()


def parquet_rows_pyarrow(root: Path, table: Table) -> pl.DataFrame:
    dataset = pds.dataset(root / table.name, format="parquet", partitioning="hive")
    frame = pl.from_arrow(dataset.to_table())
    assert isinstance(frame, pl.DataFrame)
    dates = frame[table.partition_key].cast(pl.String).to_list()
    expected = [value.astimezone(UTC).date().isoformat() for value in frame[table.partition_column]]
    assert dates == expected
    return frame.select(table.stored_column_names).sort(list(table.stored_key))


def assert_parquet_matches(wh: Warehouse) -> None:
    """Parquet holds exactly DuckDB's rows, for every table, read by DuckDB and by pyarrow."""
    assert wh.dirty_partitions() == []
    for table in DATA_TABLES:
        stored = wh.frame(table.name)
        table_dir = wh.parquet_root / table.name
        if stored.height == 0:
            assert not any(table_dir.glob("*/*.parquet")), table.name
            continue
        via_duckdb = parquet_rows_duckdb(wh.parquet_root, table)
        assert via_duckdb.equals(stored), table.name
        via_pyarrow = parquet_rows_pyarrow(wh.parquet_root, table)
        assert via_pyarrow.cast(stored.schema).equals(stored), table.name


def partition_dates(wh: Warehouse, table_name: str) -> set[date]:
    table_dir = wh.parquet_root / table_name
    if not table_dir.exists():
        return set()
    return {date.fromisoformat(p.name.split("=", 1)[1]) for p in table_dir.iterdir()}
