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
from typing import TYPE_CHECKING, Self

import duckdb
import orjson
import polars as pl

from warehouse.flatten import FlatBatch
from warehouse.schema import (
    ALL_TABLES,
    DATA_TABLES,
    TERMINAL_EXECUTION_STATUSES,
    Table,
    quote_identifier,
)
from warehouse.sqlfiles import create_views, store_sql

if TYPE_CHECKING:
    from warehouse.parquet import FlushResult

DATABASE_FILE = "workflows.duckdb"
PARQUET_DIR = "parquet"

# Names under which apply_batch registers the batch frames for the sql/store statements.
_BATCH_VIEWS = {
    "executions": "batch_executions",
    "task_executions": "batch_task_executions",
    "task_definitions": "batch_task_definitions",
    "rejected": "batch_rejected",
}


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
    """

    def __init__(self, directory: Path | str, *, read_only: bool = False) -> None:
        self.directory = Path(directory)
        self.read_only = read_only
        self._con: duckdb.DuckDBPyConnection | None = None

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
                self.directory.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(self.database_path), read_only=self.read_only)
            # Not via connect(config=...): the setting needs the ICU extension, which DuckDB
            # loads on the first SET but not while the connection is being configured.
            con.execute("SET TimeZone = 'UTC'")
            self._con = con
        return self

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

    def ensure_schema(self, *, views: bool = True) -> None:
        """Create missing tables and columns and (re)create the views; safe to call each run.

        ``views=False`` skips the ``sql/*.sql`` views (tests of the tables alone).
        """
        con = self.connection
        with self.transaction():
            for table in ALL_TABLES:
                con.execute(table.create_sql())
                self._add_missing_columns(table)
        if views:
            create_views(con)

    def _add_missing_columns(self, table: Table) -> None:
        # Tables only ever gain columns: a file made by an older version is upgraded in place
        # (new columns are NULL for old rows until those rows are written again).
        con = self.connection
        present = {
            row[0]
            for row in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = $1",
                [table.name],
            ).fetchall()
        }
        for column in table.columns:
            if column.name not in present:
                con.execute(
                    f"ALTER TABLE {quote_identifier(table.name)} "
                    f"ADD COLUMN {quote_identifier(column.name)} {column.duckdb_type}"
                )

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
        frames = {
            _BATCH_VIEWS["executions"]: batch.executions,
            _BATCH_VIEWS["task_executions"]: batch.task_executions,
            _BATCH_VIEWS["task_definitions"]: batch.task_definitions,
            _BATCH_VIEWS["rejected"]: batch.rejected,
        }
        for name, frame in frames.items():
            con.register(name, frame.to_arrow())
        try:
            with self.transaction():
                con.execute(store_sql("mark_dirty_executions"))
                existing = _scalar(con, "count_existing_executions")
                con.execute(store_sql("delete_executions"))
                _scalar(con, "insert_executions")
                con.execute(store_sql("delete_tasks"))
                task_rows = _scalar(con, "insert_tasks")
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

    def write_state(self, state: dict[str, object]) -> None:
        """Write state values on their own (one transaction)."""
        with self.transaction():
            self._write_state(state)

    def _write_state(self, state: dict[str, object]) -> None:
        now = datetime.now(UTC)
        sql = store_sql("upsert_state")
        for key, value in state.items():
            text = orjson.dumps(value, option=orjson.OPT_NAIVE_UTC).decode()
            self.connection.execute(sql, [key, text, now])

    # --- reads ----------------------------------------------------------------------------

    def read_state(self, key: str, default: object = None) -> object:
        """A state value as written (decoded JSON), or ``default`` when never written."""
        rows = self.connection.execute(store_sql("read_state"), [key]).fetchall()
        return default if not rows else orjson.loads(rows[0][0])

    def summaries(self, execution_ids: Iterable[str]) -> dict[str, StoredSummary]:
        """Stored state of the given executions (missing ids are simply absent)."""
        ids = list(execution_ids)
        if not ids:
            return {}
        rows = self.connection.execute(store_sql("summaries"), [ids]).fetchall()
        return {r[0]: StoredSummary(*r[1:]) for r in rows}

    def open_execution_ids(self) -> list[str]:
        """Stored executions whose status is not terminal, oldest first."""
        rows = self.connection.execute(
            store_sql("open_executions"), [list(TERMINAL_EXECUTION_STATUSES)]
        ).fetchall()
        return [r[0] for r in rows]

    def counts(self) -> dict[str, int]:
        """Row count per data table."""
        out = {}
        for table in DATA_TABLES:
            rows = self.connection.execute(
                f"SELECT count(*) FROM {quote_identifier(table.name)}"
            ).fetchall()
            out[table.name] = int(rows[0][0])
        return out

    def dirty_partitions(self) -> list[tuple[str, date]]:
        rows = self.connection.execute(store_sql("dirty_partitions")).fetchall()
        return [(r[0], r[1]) for r in rows]

    def frame(self, table_name: str) -> pl.DataFrame:
        """A whole table as polars, ordered by its key (for tests, checks and small tables)."""
        table = next(t for t in ALL_TABLES if t.name == table_name)
        columns = ", ".join(quote_identifier(c) for c in table.column_names)
        order = ", ".join(quote_identifier(k) for k in table.key)
        rel = self.connection.sql(
            f"SELECT {columns} FROM {quote_identifier(table.name)} ORDER BY {order}"
        )
        return pl.from_arrow(rel.to_arrow_table())  # type: ignore[return-value]

    def flush(self) -> FlushResult:
        """Rewrite the dirty Parquet partitions; see :mod:`warehouse.parquet`."""
        from warehouse.parquet import flush_dirty_partitions

        return flush_dirty_partitions(self)


def _check_keys(batch: FlatBatch) -> None:
    # flatten_details never repeats a key; a hand-made batch might, and task_executions has no
    # index to catch it (see schema.TASK_EXECUTIONS.enforce_key).
    for name, frame, key in (
        ("executions", batch.executions, ["execution_id"]),
        ("task_executions", batch.task_executions, ["task_execution_id"]),
        ("task_definitions", batch.task_definitions, ["definition_hash", "task_external_id"]),
    ):
        if frame.height and frame.select(key).is_duplicated().any():
            raise ValueError(f"batch.{name} repeats a key {key}; nothing was written")


def _scalar(con: duckdb.DuckDBPyConnection, name: str) -> int:
    # fetchall, not fetchone: DuckDB 2 keeps a partly read result open and then refuses
    # con.sql() on the connection until it is drained.
    rows = con.execute(store_sql(name)).fetchall()
    return int(rows[0][0]) if rows else 0
