"""A simulated CDF project ingested once into a warehouse (views and SLA views installed);
each test works on its own copy, so what one test sends is not "already sent" for another."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tests.support.alerts_world import ingest
from tests.support.receiver import Receiver, receiver
from warehouse.store import Warehouse


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("alerts-world") / "warehouse"
    ingest(directory)
    return directory


@pytest.fixture
def world(world_template: Path, tmp_path: Path) -> Path:
    directory = tmp_path / "warehouse"
    shutil.copytree(world_template, directory)
    return directory


@pytest.fixture
def con(world: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with Warehouse(world) as wh:
        yield wh.connection


@pytest.fixture
def hook() -> Iterator[Receiver]:
    with receiver() as state:
        yield state
