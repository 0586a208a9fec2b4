"""Tables only ever gain columns: a file made by an older version is upgraded in place.

Shared by the store's tables and the tables created on first use (``alerts_sent``). New columns
are NULL for old rows until those rows are written again, unless the caller fills them.
"""

from __future__ import annotations

import duckdb

from warehouse.schema import Table, quote_identifier


def present_columns(con: duckdb.DuckDBPyConnection, table_name: str) -> set[str]:
    """The columns the table has in the file (none when it does not exist)."""
    return {
        row[0]
        for row in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $1",
            [table_name],
        ).fetchall()
    }


def add_missing_columns(con: duckdb.DuckDBPyConnection, table: Table) -> bool:
    """Add the declared columns the table lacks; whether it lacked any."""
    present = present_columns(con, table.name)
    missing = [c for c in table.stored_columns if c.name not in present]
    for column in missing:
        con.execute(
            f"ALTER TABLE {quote_identifier(table.name)} "
            f"ADD COLUMN {quote_identifier(column.name)} {column.duckdb_type}"
        )
    return bool(missing)
