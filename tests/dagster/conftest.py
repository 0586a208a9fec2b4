"""Dagster fixtures: resources pointing at a simulator on 127.0.0.1 and a temporary warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dagster import resources_for


@pytest.fixture
def dagster_resources(sim_url: str, warehouse_path: Path) -> dict[str, object]:
    return dict(resources_for(sim_url, warehouse_path))


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
    ):
        monkeypatch.delenv(name, raising=False)
    yield
