"""The warehouse's own bookkeeping tables: ingest state, partitions awaiting their Parquet
rewrite, and the Parquet files written (declared like the data tables, never exported)."""

from __future__ import annotations

import polars as pl

from warehouse.table_model import JSON_TEXT, TIMESTAMPTZ, UTC_TIME, Table
from warehouse.table_model import column as _c

_TS = TIMESTAMPTZ

INGEST_STATE = Table(
    name="_ingest_state",
    description="Incremental ingest state, written in the same transaction as the data.",
    key=("key",),
    internal=True,
    columns=(
        _c("key", "VARCHAR", pl.String, "State name (per project).", key=True),
        _c("value", "JSON", JSON_TEXT, "State value."),
        _c("updated_at", _TS, UTC_TIME, "When it was last written."),
    ),
)

DIRTY_PARTITIONS = Table(
    name="_dirty_partitions",
    description=(
        "Parquet partitions whose rows changed in DuckDB and are not yet rewritten; cleared "
        "only after the new files are in place."
    ),
    key=("table_name", "partition_date"),
    internal=True,
    # A partition file holds the rows of every project.
    project_scoped=False,
    columns=(
        _c("table_name", "VARCHAR", pl.String, "Table whose partition is stale.", key=True),
        _c("partition_date", "DATE", pl.Date, "UTC date naming the partition.", key=True),
    ),
)

PARQUET_FILES = Table(
    name="_parquet_files",
    description=(
        "The Parquet partition files the flush wrote, as it wrote them: the Parquet check takes "
        "a file's row count from here while its size and version are unchanged, and reads its "
        "footer otherwise."
    ),
    key=("table_name", "partition_date"),
    internal=True,
    project_scoped=False,
    columns=(
        _c("table_name", "VARCHAR", pl.String, "Table (or exported model) of the file.", key=True),
        _c("partition_date", "DATE", pl.Date, "UTC date naming the partition.", key=True),
        _c("row_count", "BIGINT", pl.Int64, "Rows written to the file."),
        _c("file_bytes", "BIGINT", pl.Int64, "Size of the file when written."),
        _c(
            "file_version",
            "VARCHAR",
            pl.String,
            "Its version then: a local file's modification time in ns, an S3 object's ETag.",
        ),
    ),
)
