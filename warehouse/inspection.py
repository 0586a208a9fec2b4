"""Small read-only looks into an open warehouse: counts and previews for humans."""

from __future__ import annotations

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


def relation_columns(con: duckdb.DuckDBPyConnection, name: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of a table's or view's columns; nothing is computed."""
    quoted = quote_identifier(name)
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE SELECT * FROM {quoted}").fetchall()]


def table_preview(
    con: duckdb.DuckDBPyConnection, name: str, limit: int = 10
) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """A stored table's columns and first rows (cheap: nothing is computed)."""
    cursor = con.execute(f"SELECT * FROM {quote_identifier(name)} LIMIT ?", [limit])
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    return relation_columns(con, name), rows
