"""Small read-only looks into an open warehouse: counts and previews for humans."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from warehouse.schema import quote_identifier
from warehouse.sqlfiles import sql_file
from warehouse.store import Warehouse


def recent_executions(warehouse: Warehouse, limit: int = 10) -> list[dict[str, Any]]:
    cursor = warehouse.connection.execute(
        sql_file("inspect", "recent_executions"), {"limit": limit}
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# DuckDB memory allowed while a view is counted and previewed for its Dagster metadata. A view
# is computed whole even for ten rows, and on a big warehouse some (critical paths, the task
# outcome family) take gigabytes: more than a nightly job should take for a number in the UI.
VIEW_METADATA_MEMORY = "384MB"


@dataclass(frozen=True)
class ViewSummary:
    """A view's columns, and its row count and first rows when computing them fit the budget."""

    columns: list[tuple[str, str]]  # (name, DuckDB type)
    row_count: int | None
    preview: list[dict[str, Any]]
    skipped: str | None = None  # why row_count and preview are missing


def _columns(con: duckdb.DuckDBPyConnection, quoted: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {quoted}").fetchall()]


def table_preview(
    con: duckdb.DuckDBPyConnection, name: str, limit: int = 10
) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """A stored table's columns and first rows (cheap: nothing is computed)."""
    quoted = quote_identifier(name)
    cursor = con.execute(f"SELECT * FROM {quoted} LIMIT ?", [limit])
    names = [d[0] for d in cursor.description]
    return _columns(con, quoted), [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def view_summary(
    con: duckdb.DuckDBPyConnection,
    name: str,
    memory_limit: str | None = None,
    *,
    count: bool = True,
) -> ViewSummary:
    """Columns (bound, not computed), then row count and a 10-row preview under
    :data:`VIEW_METADATA_MEMORY`; over it, the summary says so instead of failing the run.

    ``memory_limit``: the connection's own cap, put back afterwards (None: DuckDB's default).
    ``count=False``: the columns only.
    """
    quoted = quote_identifier(name)
    columns = _columns(con, quoted)
    if not count:
        return ViewSummary(columns, None, [], "not counted")
    try:
        con.execute("SET memory_limit = ?", [VIEW_METADATA_MEMORY])
        rows = con.execute(f"SELECT count(*) FROM {quoted}").fetchall()
        cursor = con.execute(f"SELECT * FROM {quoted} LIMIT 10")
        names = [d[0] for d in cursor.description]
        preview = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    except duckdb.OutOfMemoryException:
        reason = f"computing it needs more than {VIEW_METADATA_MEMORY} of DuckDB memory"
        return ViewSummary(columns, None, [], reason)
    finally:
        # Back to the connection's cap, or DuckDB's default (the setting reads back rounded,
        # so it is not restored from what it read).
        if memory_limit is None:
            con.execute("RESET memory_limit")
        else:
            con.execute("SET memory_limit = ?", [memory_limit])
    return ViewSummary(columns, int(rows[0][0]), preview)
