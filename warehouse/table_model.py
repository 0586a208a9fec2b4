"""The model every table declaration in :mod:`warehouse.schema` is made of: a :class:`Column`
(name, DuckDB type, polars dtype, description) and a :class:`Table` (columns, key, Parquet
partition), from which the DDL and the polars schemas are derived."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

# DuckDB TIMESTAMPTZ has microsecond precision; using the same unit in polars means a value makes
# the round trip polars -> DuckDB -> Parquet -> polars unchanged.
UTC_TIME = pl.Datetime("us", "UTC")
TIMESTAMPTZ = "TIMESTAMPTZ"
# polars has no JSON type: JSON payloads travel as text and become DuckDB JSON on insert.
JSON_TEXT = pl.String
# Source anomaly names of a row (warehouse.quality).
FLAG_LIST = pl.List(pl.String)


@dataclass(frozen=True)
class Column:
    name: str
    duckdb_type: str
    polars_dtype: pl.DataType
    description: str
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    # Column whose UTC date names the Parquet partition; None for internal tables that are not
    # exported.
    partition_column: str | None = None
    # Name of the Hive partition directory key (``<partition_key>=YYYY-MM-DD``).
    partition_key: str = "created_date"
    internal: bool = False
    # Whether DuckDB enforces the key with a PRIMARY KEY index. The index makes replacing task
    # rows several times dearer (an ART index over random UUIDs, updated per batch), so
    # task_executions relies on apply_batch instead: it deletes before inserting and refuses a
    # batch whose keys repeat.
    enforce_key: bool = True
    # Whether rows belong to one CDF project: the stored table then leads with `cdf_project`,
    # which is also the first part of its key. `columns` and `key` are what the source gives
    # (the flattener's frames); `stored_columns` and `stored_key` are what DuckDB and Parquet
    # hold. The warehouse adds the project when it writes a batch.
    project_scoped: bool = True

    @property
    def column_names(self) -> tuple[str, ...]:
        """The source columns (the flattener's frames), without `cdf_project`."""
        return tuple(c.name for c in self.columns)

    @property
    def stored_columns(self) -> tuple[Column, ...]:
        return (PROJECT_COLUMN, *self.columns) if self.project_scoped else self.columns

    @property
    def stored_column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.stored_columns)

    @property
    def stored_key(self) -> tuple[str, ...]:
        return (PROJECT_COLUMN.name, *self.key) if self.project_scoped else self.key

    def polars_schema(self) -> pl.Schema:
        return pl.Schema({c.name: c.polars_dtype for c in self.columns})

    def empty_frame(self) -> pl.DataFrame:
        return pl.DataFrame(schema=self.polars_schema())

    def create_sql(self) -> str:
        """``CREATE TABLE IF NOT EXISTS`` for this table (identifiers quoted, no values)."""
        lines = []
        for c in self.stored_columns:
            null = "" if c.nullable else " NOT NULL"
            lines.append(f"    {quote_identifier(c.name)} {c.duckdb_type}{null}")
        if self.enforce_key:
            key = ", ".join(quote_identifier(k) for k in self.stored_key)
            lines.append(f"    PRIMARY KEY ({key})")
        body = ",\n".join(lines)
        return f"CREATE TABLE IF NOT EXISTS {quote_identifier(self.name)} (\n{body}\n)"


def quote_identifier(name: str) -> str:
    """Quote a SQL identifier for DuckDB (the only way names enter SQL text)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(name: str) -> str:
    """A name as a SQL string literal, for SQL that compares it with a stored name (the
    analytics build's bookkeeping): the only way names enter SQL text as values."""
    return "'" + name.replace("'", "''") + "'"


# Several CDF projects share one warehouse: every data row says which project it came from,
# and ids (execution, task, trigger) are only unique within a project.
PROJECT_COLUMN = Column(
    "cdf_project",
    "VARCHAR",
    pl.String,
    "CDF project the row was read from (first part of the key: ids are unique per project).",
    nullable=False,
)


def column(
    name: str, duckdb_type: str, dtype: pl.DataType, description: str, *, key: bool = False
) -> Column:
    """A column of a declaration; key columns are not nullable."""
    return Column(name, duckdb_type, dtype, description, nullable=not key)
