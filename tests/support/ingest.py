"""Helpers for ingest tests: run an ingest in-process and snapshot a warehouse's contents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import httpx

from cdf_client.config import CdfConfig
from ingest.executions import IngestReport, IngestSettings
from ingest.runner import run_ingest
from warehouse.analytics.build import build_models
from warehouse.store import Warehouse

# Columns that record when a row was written, not what CDF said: they differ between two
# otherwise identical warehouses.
RUN_STAMPS = {"ingested_at", "rejected_at"}
TABLES = ("workflow_executions", "task_executions", "task_definitions", "rejected_records")


def ingest(
    config: CdfConfig,
    directory: Path,
    transport: httpx.AsyncBaseTransport | None = None,
    **settings: Any,
) -> IngestReport:
    """One ingest, then the analytics build and its Parquet, as the nightly job runs them."""
    report = run_ingest(config, directory, IngestSettings(**settings), transport=transport)
    with Warehouse(directory) as wh:
        build_models(wh.connection)
        wh.flush()
    return report


def snapshot(directory: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every data table, sorted, without the run timestamps."""
    out = {}
    with Warehouse(directory, read_only=True) as wh:
        for table in TABLES:
            cursor = wh.connection.execute(f"SELECT * FROM {table}")
            names = [d[0] for d in cursor.description]
            keep = [i for i, n in enumerate(names) if n not in RUN_STAMPS]
            rows = [tuple(str(r[i]) for i in keep) for r in cursor.fetchall()]
            out[table] = sorted(rows)
    return out


def parquet_matches_duckdb(directory: Path) -> dict[str, tuple[int, int]]:
    """Row counts (DuckDB, Parquet) per table, and asserts the row sets are equal."""
    result = {}
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("ATTACH ? AS wh (READ_ONLY)", [str(directory / "workflows.duckdb")])
    for table in TABLES:
        db_rows = con.execute(f"SELECT count(*) FROM wh.{table}").fetchone()[0]  # type: ignore[index]
        files = list((directory / "parquet" / table).glob("*/*.parquet"))
        if not files:
            result[table] = (db_rows, 0)
            continue
        glob = str(directory / "parquet" / table / "*" / "*.parquet")
        columns = [d[0] for d in con.execute(f"SELECT * FROM wh.{table} LIMIT 0").description]
        cols = ", ".join(f'"{c}"' for c in columns)
        pq_rows = con.execute(
            "SELECT count(*) FROM read_parquet(?, hive_partitioning = true)", [glob]
        ).fetchone()[0]  # type: ignore[index]
        diff = con.execute(
            f"SELECT count(*) FROM (SELECT {cols} FROM wh.{table} EXCEPT ALL "
            f"SELECT {cols} FROM read_parquet(?, hive_partitioning = true))",
            [glob],
        ).fetchone()[0]  # type: ignore[index]
        assert diff == 0, f"{table}: {diff} DuckDB rows missing from Parquet"
        result[table] = (db_rows, pq_rows)
    con.close()
    return result
