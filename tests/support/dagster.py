"""Helpers for the Dagster tests: the job's resources for a simulator and a warehouse."""

from __future__ import annotations

from pathlib import Path

from assets.resources import CdfResource, WarehouseResource
from cdf_simulator import Simulator, create_app


def _connection(url: str, project: str) -> dict[str, str]:
    return {
        "base_url": url,
        "project": project,
        "token_url": f"{url}/oauth2/token",
        "client_id": "dagster-test",
        "client_secret": "dagster-test-secret",
    }


def resources_for(
    url: str, directory: Path, project: str = "test-project"
) -> dict[str, CdfResource | WarehouseResource]:
    """The job's resources for a simulator served over HTTP at ``url`` and a warehouse in
    ``directory``."""
    return {
        "cdf": CdfResource(**_connection(url, project)),
        "warehouse": WarehouseResource(directory=str(directory)),
    }


def in_process_resources(
    sim: Simulator, directory: Path, project: str = "test-project"
) -> dict[str, CdfResource | WarehouseResource]:
    """The job's resources for ``sim`` served in this process (no socket) and a warehouse in
    ``directory``: for tests where HTTP itself is not under test."""
    return {
        "cdf": CdfResource.in_process(create_app(sim), **_connection("http://127.0.0.1", project)),
        "warehouse": WarehouseResource(directory=str(directory)),
    }
