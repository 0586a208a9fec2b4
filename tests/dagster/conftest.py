"""Dagster fixtures: resources for the simulator in this process and a temporary warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cdf_simulator import Simulator
from tests.support.dagster import in_process_resources


@pytest.fixture
def dagster_resources(sim: Simulator, warehouse_path: Path) -> dict[str, object]:
    """HTTP itself is not under test here (tests that need it build `resources_for` a server)."""
    return dict(in_process_resources(sim, warehouse_path))


@pytest.fixture(autouse=True)
def _no_cdf_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Resources must get everything from their fields here, not from a developer's shell."""
    for name in (
        "CDF_URL",
        "CDF_CLUSTER",
        "CDF_PROJECT",
        "IDP_TOKEN_URL",
        "IDP_CLIENT_ID",
        "IDP_CLIENT_SECRET",
        "IDP_SCOPES",
        "CDF_TOKEN",
        "WAREHOUSE_DIR",
        "CDF_PROJECTS_FILE",
        "CDF_CONCURRENCY",
        "CDF_MAX_ATTEMPTS",
        "CDF_MAX_RETRY_SECONDS",
        "IDP_TENANT_ID",
        "WAREHOUSE_PARQUET_URI",
        "WAREHOUSE_DUCKDB_MEMORY",
        "INGEST_REFETCH_OPEN",
    ):
        monkeypatch.delenv(name, raising=False)
    yield
