"""Assertions on the analytics tables: each equals its definition, and the Parquet tree holds
exactly the exported ones."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.analytics.build import differences
from warehouse.analytics.exports import exported_models
from warehouse.analytics.models import load_models

INCREMENTAL_MODELS = [m for m in load_models() if m.incremental]


def assert_equal_to_definitions(con: duckdb.DuckDBPyConnection) -> None:
    found = {m.name: differences(con, m) for m in INCREMENTAL_MODELS}
    assert found == {m.name: (0, 0) for m in INCREMENTAL_MODELS}


def assert_parquet_holds_the_tables(directory: Path) -> None:
    """Every exported model's Parquet files hold exactly its DuckDB rows, each in the folder
    of its day."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("ATTACH ? AS wh (READ_ONLY)", [str(directory / "workflows.duckdb")])
    exported = sorted(exported_models())
    assert exported == ["critical_paths", "execution_facts", "task_outcomes"]
    for name in exported:
        files = str(directory / "parquet" / name / "*" / "*.parquet")
        lake = f"read_parquet('{files}', hive_partitioning = false)"
        extra, missing = con.execute(
            f"SELECT (SELECT count(*) FROM (FROM {lake} EXCEPT ALL FROM wh.{name})), "
            f"(SELECT count(*) FROM (FROM wh.{name} EXCEPT ALL FROM {lake}))"
        ).fetchall()[0]
        assert (name, extra, missing) == (name, 0, 0)
        misplaced = con.execute(
            f"SELECT count(*) FROM read_parquet('{files}', filename = true, "
            "hive_partitioning = false) WHERE NOT contains(filename, 'day=' || day::VARCHAR || '/')"
        ).fetchall()[0][0]
        assert misplaced == 0, name
