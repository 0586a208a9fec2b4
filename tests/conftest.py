"""Fixtures shared by the layers above the simulator: a simulator (in-process or on a real
127.0.0.1 port), a CDF configuration pointing at it, and a fresh warehouse directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cdf_client.config import CdfConfig
from cdf_simulator import Simulator, create_app, run_server
from tests.support.sim import cdf_config_for, small_sim_config


@pytest.fixture
def sim() -> Simulator:
    return Simulator(small_sim_config())


@pytest.fixture
def transport(sim: Simulator) -> httpx.ASGITransport:
    """The simulator in-process: HTTP semantics without a socket."""
    return httpx.ASGITransport(app=create_app(sim))


@pytest.fixture
def inprocess_config() -> CdfConfig:
    return cdf_config_for("http://127.0.0.1")


@pytest.fixture
def sim_url(sim: Simulator) -> Iterator[str]:
    """The simulator served by uvicorn on a free 127.0.0.1 port."""
    with run_server(sim) as base_url:
        yield base_url


@pytest.fixture
def warehouse_path(tmp_path: Path) -> Path:
    return tmp_path / "warehouse"
