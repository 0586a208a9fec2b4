"""Bring the stored tables up to this version's schema, in the caller's transaction.

Missing tables and columns are created. A table made before rows carried their CDF project is
rebuilt with ``cdf_project`` in its key; its existing rows get the project the warehouse was
loaded from (a warehouse of that age holds one). A table that gained columns has its Parquet
partitions marked dirty, so the next flush writes them with the new columns; task rows get
their ``task_key`` computed.
"""

from __future__ import annotations

import duckdb

from warehouse.columns import add_missing_columns, present_columns
from warehouse.schema import ALL_TABLES, PROJECT_COLUMN, TABLES_BY_NAME, TASK_EXECUTIONS, Table
from warehouse.sqlfiles import store_sql, table_sql
from warehouse.task_keys import task_key_patterns


def upgrade_tables(con: duckdb.DuckDBPyConnection, project: str) -> list[str]:
    """Create and upgrade every table; the names of the tables whose rows were rewritten."""
    upgraded = []
    for table in ALL_TABLES:
        if table.project_scoped and _lacks_project(con, table):
            _add_project_to_key(con, table, project)
            upgraded.append(table.name)
        con.execute(table.create_sql())
        # task_key of old rows is filled below; their other new columns stay NULL.
        if add_missing_columns(con, table) and table.partition_column is not None:
            upgraded.append(table.name)  # its Parquet files lack the new columns
    if TASK_EXECUTIONS.name in upgraded:
        con.execute(store_sql("backfill_task_keys"), task_key_patterns())
    for name in dict.fromkeys(upgraded):
        table = TABLES_BY_NAME[name]
        if table.partition_column is not None:
            con.execute(table_sql("mark_table_dirty", table), [table.name])
    return upgraded


def _lacks_project(con: duckdb.DuckDBPyConnection, table: Table) -> bool:
    present = present_columns(con, table.name)
    return bool(present) and PROJECT_COLUMN.name not in present


def _add_project_to_key(con: duckdb.DuckDBPyConnection, table: Table, project: str) -> None:
    # DuckDB cannot change a primary key in place: the table is rebuilt under the new DDL and
    # its rows copied with the project stamped, inside the caller's transaction (a crash leaves
    # the old table as it was).
    con.execute(table_sql("rename_table_before_project", table))
    con.execute(table.create_sql())
    con.execute(table_sql("copy_rows_with_project", table), [project])
    con.execute(table_sql("drop_table_before_project", table))
