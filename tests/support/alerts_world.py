"""A simulated CDF project ingested into a warehouse with its analytics built, for alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx

from cdf_simulator import Simulator, create_app
from ingest.executions import IngestSettings
from ingest.runner import run_ingest
from tests.support.sim import SIM_NOW_MS, cdf_config_for, small_sim_config
from warehouse.analytics.build import build_models
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
        build_models(wh.connection)


def ingest(directory: Path, settings: IngestSettings | None = None) -> None:
    sim = Simulator(small_sim_config())
    transport = httpx.ASGITransport(app=create_app(sim))
    run_ingest(cdf_config_for("http://127.0.0.1"), directory, settings, transport=transport)
    install_views(directory)
