from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from tests.analytics.world import NOW, SLA_CSV, build_world
from warehouse.sla_targets import install_sla
from warehouse.store import Warehouse


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real warehouse directory (DuckDB file) holding the hand-written world."""
    directory = tmp_path_factory.mktemp("analytics-world")
    targets = directory / "sla_targets.csv"
    targets.write_text(SLA_CSV, encoding="utf-8")
    with Warehouse(directory) as wh:
        wh.ensure_schema()
        build_world(wh.connection)
        install_sla(wh.connection, targets)
    return directory


@pytest.fixture(scope="session")
def empty_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse's DuckDB file with the tables and views and no row, for property tests that
    write each example's rows in a transaction they never commit (see `rolled_back`)."""
    directory = tmp_path_factory.mktemp("empty-warehouse")
    with Warehouse(directory) as wh:
        wh.ensure_schema()
    return directory / "workflows.duckdb"


@contextmanager
def rolled_back(database: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection inside a transaction that is never committed: the next example starts from
    the same empty warehouse."""
    connection = duckdb.connect(str(database))
    try:
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute("BEGIN TRANSACTION")
        yield connection
    finally:
        connection.close()  # closing without a commit rolls the transaction back


@pytest.fixture
def con(world_dir: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection with "now" pinned to the world's reference time."""
    connection = duckdb.connect(str(world_dir / "workflows.duckdb"), read_only=True)
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("SET VARIABLE analytics_now = ?::TIMESTAMPTZ", [NOW])
    try:
        yield connection
    finally:
        connection.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> list:
    return con.execute(sql, params or []).fetchall()
