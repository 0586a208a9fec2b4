"""Shared pieces of the reliability tests: a tiny world, configurations, byte fingerprints."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx

from cdf_client.config import CdfConfig
from cdf_simulator import FaultConfig, Simulator, SimulatorConfig, create_app
from tests.support.sim import cdf_config_for, small_sim_config

REPO = Path(__file__).resolve().parents[2]

# About 60 executions over a week: every fault rate below hits dozens of requests, and a whole
# ingest takes well under a second in-process.
TINY_WORLD: dict[str, Any] = {"workflows": 5, "executions_per_day": 8.0, "history_days": 8}


# Small pages: more list requests for the faults to hit, paging across faults exercised.
PAGE_SIZE = 16


def tiny_sim(faults: FaultConfig | None = None, **overrides: Any) -> Simulator:
    values: dict[str, Any] = {**TINY_WORLD, "faults": faults or FaultConfig(), **overrides}
    config: SimulatorConfig = small_sim_config(**values)
    return Simulator(config)


def inprocess(sim: Simulator) -> httpx.ASGITransport:
    return httpx.ASGITransport(app=create_app(sim))


def config_for(base_url: str = "http://127.0.0.1", **overrides: Any) -> CdfConfig:
    return cdf_config_for(base_url, **overrides)


def fingerprint(directory: Path) -> dict[str, str]:
    """Every file under ``directory`` (relative path -> sha256): "untouched" means equal."""
    if not directory.exists():
        return {}
    return {
        str(p.relative_to(directory)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def data_fingerprint(directory: Path) -> dict[str, str]:
    """The DuckDB file and the Parquet files only (the lock file records its last holder)."""
    return {k: v for k, v in fingerprint(directory).items() if not k.endswith(".lock")}


def visible_parquet(directory: Path) -> list[str]:
    """What a reader globbing ``*.parquet`` sees: only complete ``data.parquet`` files."""
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*.parquet"))
