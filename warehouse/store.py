"""The DuckDB warehouse: schema, transactional batch upserts, incremental state.

One :class:`Warehouse` owns ``<directory>/workflows.duckdb`` and ``<directory>/parquet/``.
:meth:`Warehouse.apply_batch` writes a :class:`~warehouse.flatten.FlatBatch` and the ingest state
in one transaction and records which Parquet partitions it touched; :mod:`warehouse.parquet`
rewrites those partitions afterwards. DuckDB allows one writing process per file: the ingest is
that process, readers use the Parquet files (or open the file read-only when no ingest runs).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import duckdb
import orjson
import polars as pl

from warehouse.analytics.build import create_models, forget_builds
from warehouse.analytics.exports import exported_models, model_partitions
from warehouse.columns import present_columns
from warehouse.dbfile import connect, create_if_missing
from warehouse.flatten import FlatBatch
from warehouse.layout import DATABASE_FILE, PARQUET_DIR
from warehouse.objectstore import S3ParquetStore, is_object_store_uri
from warehouse.parquet import (
    FlushResult,
    PartitionSource,
    flush_dirty_partitions,
    table_partitions,
)
from warehouse.parquet_files import refresh_records
from warehouse.schema import (
    DATA_TABLES,
    PARQUET_FILES,
    PROJECT_COLUMN,
    TABLES_BY_NAME,
    TERMINAL_EXECUTION_STATUSES,
    Table,
)
from warehouse.sqlfiles import sql_file, store_sql, table_sql
from warehouse.upgrade import upgrade_tables

__all__ = ["DATABASE_FILE", "PARQUET_DIR", "ApplyResult", "StoredSummary", "Warehouse"]

# The project a Warehouse writes and reads state for when none is named (hand-made batches in
# tests and benchmarks); the ingest always names the CDF project it reads.
DEFAULT_PROJECT = "default"

# Names under which apply_batch registers the batch frames for the sql/store statements.
_BATCH_VIEWS = {
    "executions": "batch_executions",
    "task_executions": "batch_task_executions",
    "task_definitions": "batch_task_definitions",
    "rejected": "batch_rejected",
}


# The ingest's DuckDB cap unless WAREHOUSE_DUCKDB_MEMORY says otherwise. The ingest only upserts
# batches and rewrites partitions, which spill or stream; without a cap DuckDB keeps every block
# it wrote cached, which grows with the warehouse. Analysts' queries and the views are
# not capped by default: some views cannot spill (recursive CTEs) and need gigabytes on a big
# warehouse.
INGEST_DUCKDB_MEMORY = "256MB"
# The asset checks' cap: their scans and GROUP BYs spill, and a larger cap barely speeds them up
# while it raises the process's peak (measurements: benchmarks/RESULTS.md).
CHECKS_DUCKDB_MEMORY = "256MB"
# The analytics build's cap unless WAREHOUSE_DUCKDB_MEMORY says otherwise: its joins and
# aggregates spill beyond it, and a whole rebuild works in slices small enough for the parts
# that cannot spill (the critical path's recursive CTE).
ANALYTICS_DUCKDB_MEMORY = "512MB"
# The analytics step's checkpoint (its tables written into the database file) runs under this
# lower cap: with the build's cap, DuckDB filled it with the blocks it was writing, on top of
# what the process held, which made the end of a whole rebuild the peak of a first load (a
# checkpoint needs little memory; measurements: benchmarks/RESULTS.md).
CHECKPOINT_DUCKDB_MEMORY = "256MB"


@dataclass(frozen=True)
class ApplyResult:
    """What one :meth:`Warehouse.apply_batch` changed."""

    inserted: int  # executions new to the warehouse
    updated: int  # executions that replaced a stored row
    task_rows: int  # task rows written (old rows of those executions were removed first)
    definitions: int  # task definition rows written (new keys, or an earlier first-seen)
    rejected: int  # rejected records new to the warehouse


@dataclass(frozen=True)
class StoredSummary:
    """A stored execution in the terms of a list summary (epoch ms times)."""

    status: str
    created_time_ms: int
    start_time_ms: int | None
    end_time_ms: int | None
    task_count: int
    ingested_at: datetime


class Warehouse:
    """DuckDB file plus Parquet tree in one directory. Use as a context manager.

    Every connection runs with ``TimeZone = 'UTC'`` so that casting a TIMESTAMPTZ to DATE, or
    printing one, gives the UTC date/time whatever the machine's zone (the views also convert
    explicitly with ``AT TIME ZONE 'UTC'``).

    ``project``: the CDF project this handle writes batches and reads ingest state for. Several
    projects share the tables (``cdf_project`` leads every key); reads of whole tables, counts,
    views and Parquet cover all of them.

    ``parquet_uri``: where the Parquet tree goes when not under ``directory`` (an
    ``s3://bucket/prefix``, see :mod:`warehouse.objectstore`); the DuckDB file stays local.
    ``parquet_filesystem``: the fsspec filesystem for it (default: from the AWS variables).
    ``memory_limit``: DuckDB's memory cap for this handle (e.g. ``4GB``; None keeps DuckDB's own
    default, 80% of the machine's memory). The settings layer gives the operator's
    ``WAREHOUSE_DUCKDB_MEMORY``.
    """

    def __init__(
        self,
        directory: Path | str,
        *,
        read_only: bool = False,
        project: str = DEFAULT_PROJECT,
        parquet_uri: str | None = None,
        parquet_filesystem: Any | None = None,
        memory_limit: str | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.read_only = read_only
        self.project = project
        self.object_store: S3ParquetStore | None = None
        if parquet_uri and is_object_store_uri(parquet_uri):
            self.object_store = S3ParquetStore(parquet_uri, parquet_filesystem)
        elif parquet_uri:
            raise ValueError(f"a Parquet URI must be s3://bucket/prefix, got {parquet_uri!r}")
        self._con: duckdb.DuckDBPyConnection | None = None
        self.memory_limit = memory_limit

    @property
    def database_path(self) -> Path:
        return self.directory / DATABASE_FILE

    @property
    def parquet_root(self) -> Path:
        return self.directory / PARQUET_DIR

    # --- lifecycle ------------------------------------------------------------------------

    def open(self) -> Self:
        if self._con is None:
            if not self.read_only:
                create_if_missing(self.database_path)
            # The ingest has a default memory cap: INGEST_DUCKDB_MEMORY.
            self._con = connect(self.database_path, self.read_only, self.memory_limit)
        return self

    def checkpoint(self, memory_limit: str | None = None) -> None:
        """Write the committed changes into the database file now (DuckDB does it at close
        otherwise). ``memory_limit``: DuckDB's cap from here on, for the checkpoint too."""
        if memory_limit is not None:
            self.connection.execute("SET memory_limit = ?", [memory_limit])
        self.connection.execute("CHECKPOINT")

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise RuntimeError("the warehouse is not open; use `with Warehouse(dir) as wh:`")
        return self._con

    # --- schema ---------------------------------------------------------------------------

    def ensure_schema(self, *, views: bool = True) -> list[str]:
        """Create missing tables and columns and the analytics models; safe to call each run.

        A table made before rows carried their CDF project is rebuilt with ``cdf_project`` in
        its key; its existing rows get this handle's project (the single project the warehouse
        was loaded from) and its Parquet partitions are marked dirty, so the next flush writes
        them with the new column. Returns the names of the tables so upgraded.
        ``views=False`` skips the analytics models (tests of the tables alone); their tables
        are filled by :func:`warehouse.analytics.build.build_models`.
        """
        con = self.connection
        with self.transaction():
            unrecorded = not present_columns(con, PARQUET_FILES.name)
            upgraded = upgrade_tables(con, self.project)
            refresh_records(con, self.parquet_root, self.object_store, unrecorded=unrecorded)
            # The build's pending list is written with every batch, views or not.
            con.execute(sql_file("analytics", "create_state"))
            if upgraded:
                forget_builds(con)  # the analytics tables follow from rows rewritten here
        if views:
            create_models(con)
        return upgraded

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self.connection
        con.begin()
        try:
            yield con
        except BaseException:
            con.rollback()
            raise
        con.commit()

    # --- writes ---------------------------------------------------------------------------

    def apply_batch(self, batch: FlatBatch, state: dict[str, object] | None = None) -> ApplyResult:
        """Upsert a batch and write ``state`` in one transaction (all or nothing).

        Executions are replaced by key; every stored task row of an execution in the batch is
        removed and the batch's rows inserted; definitions are inserted when new (or moved to an
        earlier first-seen execution); rejected records are inserted once per payload; the
        touched Parquet partitions are marked dirty in the same transaction.
        """
        con = self.connection
        _check_keys(batch)
        if batch.is_empty():
            # The last call of a run that found nothing new carries only the state: the
            # statements below would each scan the stored tables for nothing.
            if state:
                self.write_state(state)
            return ApplyResult(inserted=0, updated=0, task_rows=0, definitions=0, rejected=0)
        frames = {
            _BATCH_VIEWS["executions"]: batch.executions,
            _BATCH_VIEWS["task_executions"]: batch.task_executions,
            _BATCH_VIEWS["task_definitions"]: batch.task_definitions,
            _BATCH_VIEWS["rejected"]: batch.rejected,
        }
        try:
            for name, frame in frames.items():
                con.register(name, self.with_project(frame).to_arrow())
            with self.transaction():
                con.execute(sql_file("analytics", "pending_from_batch"))
                con.execute(store_sql("find_stored_batch_tasks"))
                con.execute(store_sql("mark_dirty_executions"))
                existing = _scalar(con, "count_existing_executions")
                con.execute(store_sql("delete_executions"))
                _scalar(con, "insert_executions")
                con.execute(store_sql("delete_tasks"))
                task_rows = _scalar(con, "insert_tasks")
                con.execute(sql_file("analytics", "pending_from_definitions"))
                con.execute(store_sql("mark_dirty_definitions"))
                con.execute(store_sql("delete_superseded_definitions"))
                definitions = _scalar(con, "insert_definitions")
                con.execute(store_sql("mark_dirty_rejected"))
                rejected = _scalar(con, "insert_rejected")
                if state:
                    self._write_state(state)
        finally:
            for name in frames:
                con.unregister(name)
        return ApplyResult(
            inserted=batch.executions.height - existing,
            updated=existing,
            task_rows=task_rows,
            definitions=definitions,
            rejected=rejected,
        )

    def with_project(self, frame: pl.DataFrame) -> pl.DataFrame:
        """A source frame with this handle's ``cdf_project`` in front (as stored)."""
        return frame.select(pl.lit(self.project, pl.String).alias(PROJECT_COLUMN.name), pl.all())

    def write_state(self, state: dict[str, object]) -> None:
        """Write state values on their own (one transaction)."""
        with self.transaction():
            self._write_state(state)

    def _write_state(self, state: dict[str, object]) -> None:
        now = datetime.now(UTC)
        sql = store_sql("upsert_state")
        for key, value in state.items():
            text = orjson.dumps(value, option=orjson.OPT_NAIVE_UTC).decode()
            self.connection.execute(sql, [key, text, now, self.project])

    # --- reads ----------------------------------------------------------------------------

    def read_state(self, key: str, default: object = None) -> object:
        """This project's state value as written (decoded JSON), or ``default`` when never
        written."""
        rows = self.connection.execute(store_sql("read_state"), [key, self.project]).fetchall()
        return default if not rows else orjson.loads(rows[0][0])

    def read_state_all_projects(self, key: str) -> dict[str, object]:
        """A state value per project that has written it (decoded JSON)."""
        rows = self.connection.execute(store_sql("read_state_all_projects"), [key]).fetchall()
        return {r[0]: orjson.loads(r[1]) for r in rows}

    def summaries(
        self,
        execution_ids: Iterable[str],
        connection: duckdb.DuckDBPyConnection | None = None,
    ) -> dict[str, StoredSummary]:
        """Stored state of the given executions (missing ids are simply absent).

        ``connection``: a cursor of this warehouse's connection to read through instead (it
        sees what is committed, and may run while another thread writes).
        """
        ids = list(execution_ids)
        if not ids:
            return {}
        con = connection or self.connection
        rows = con.execute(store_sql("summaries"), [ids, self.project]).fetchall()
        return {r[0]: StoredSummary(*r[1:]) for r in rows}

    def open_execution_ids(self) -> list[str]:
        """This project's stored executions whose status is not terminal, oldest first."""
        rows = self.connection.execute(
            store_sql("open_executions"), [list(TERMINAL_EXECUTION_STATUSES), self.project]
        ).fetchall()
        return [r[0] for r in rows]

    def counts(self, tables: tuple[Table, ...] = DATA_TABLES) -> dict[str, int]:
        """Row count per table (the data tables unless told otherwise)."""
        out = {}
        for table in tables:
            rows = self.connection.execute(table_sql("count_rows", table)).fetchall()
            out[table.name] = int(rows[0][0])
        return out

    def dirty_partitions(self) -> list[tuple[str, date]]:
        rows = self.connection.execute(store_sql("dirty_partitions")).fetchall()
        return [(r[0], r[1]) for r in rows]

    def frame(self, table_name: str) -> pl.DataFrame:
        """A whole table as polars (every project, ``cdf_project`` first), ordered by its key
        (for tests, checks and small tables)."""
        rel = self.connection.sql(table_sql("table_rows", TABLES_BY_NAME[table_name]))
        return pl.from_arrow(rel.to_arrow_table())  # type: ignore[return-value]

    def flush(self, before: date | None = None, *, models: bool = True) -> FlushResult:
        """Rewrite the dirty Parquet partitions (of days before ``before``, when given) of the
        tables and, unless ``models`` is false, of the exported analytics models; see
        :mod:`warehouse.parquet`."""
        exported = exported_models()

        def sources(name: str) -> PartitionSource:
            return model_partitions(name) if name in exported else table_partitions(name)

        def ingested(name: str) -> bool:
            return name not in exported

        return flush_dirty_partitions(self, sources, before, None if models else ingested)


def _check_keys(batch: FlatBatch) -> None:
    # flatten_details never repeats a key; a hand-made batch might, and task_executions has no
    # index to catch it (see schema.TASK_EXECUTIONS.enforce_key).
    for name, frame, key in (
        ("executions", batch.executions, ["execution_id"]),
        ("task_executions", batch.task_executions, ["execution_id", "task_execution_id"]),
        ("task_definitions", batch.task_definitions, ["definition_hash", "task_external_id"]),
    ):
        if frame.height and frame.select(key).is_duplicated().any():
            raise ValueError(f"batch.{name} repeats a key {key}; nothing was written")


def _scalar(con: duckdb.DuckDBPyConnection, name: str) -> int:
    # fetchall, not fetchone: DuckDB 2 keeps a partly read result open and then refuses
    # con.sql() on the connection until it is drained.
    rows = con.execute(store_sql(name)).fetchall()
    return int(rows[0][0]) if rows else 0
