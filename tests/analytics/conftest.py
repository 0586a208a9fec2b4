from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.support.analytics_world import NOW, SLA_CSV, build_world
from warehouse.analytics.build import build_models
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
        build_models(wh.connection)
    return directory


@pytest.fixture(scope="session")
def empty_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse's DuckDB file with the tables and views and no row, for property tests that
    write each example's rows in a transaction they never commit (see `rolled_back`)."""
    directory = tmp_path_factory.mktemp("empty-warehouse")
    with Warehouse(directory) as wh:
        wh.ensure_schema()
    return directory / "workflows.duckdb"


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
