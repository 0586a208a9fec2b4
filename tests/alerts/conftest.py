"""A simulated CDF project ingested once into a warehouse (views and SLA views installed);
each test works on its own copy, so what one test sends is not "already sent" for another."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import httpx
import pytest

from cdf_simulator import Simulator, create_app
from ingest.executions import IngestSettings
from ingest.runner import run_ingest
from tests.alerts.receiver import Receiver, receiver
from tests.conftest import SIM_NOW_MS, cdf_config_for, small_sim_config
from warehouse.sla_targets import install_sla
from warehouse.store import Warehouse

NOW = datetime.fromtimestamp(SIM_NOW_MS / 1000, UTC)
SLA_CSV = "workflow_external_id,max_duration_minutes,deadline_utc,note\n*,60,,\n"


def install_views(directory: Path) -> None:
    targets = directory / "sla_targets.csv"
    targets.write_text(SLA_CSV, encoding="utf-8")
    with Warehouse(directory) as wh:
        wh.ensure_schema()
        install_sla(wh.connection, targets)


def ingest(directory: Path, settings: IngestSettings | None = None) -> None:
    sim = Simulator(small_sim_config())
    transport = httpx.ASGITransport(app=create_app(sim))
    run_ingest(cdf_config_for("http://127.0.0.1"), directory, settings, transport=transport)
    install_views(directory)


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
