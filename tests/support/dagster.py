"""Helpers for the Dagster tests."""

from __future__ import annotations

from pathlib import Path

from assets.resources import CdfResource, WarehouseResource


def resources_for(
    url: str, directory: Path, project: str = "test-project"
) -> dict[str, CdfResource | WarehouseResource]:
    """The job's resources for a simulator at ``url`` and a warehouse in ``directory``."""
    return {
        "cdf": CdfResource(
            base_url=url,
            project=project,
            token_url=f"{url}/oauth2/token",
            client_id="dagster-test",
            client_secret="dagster-test-secret",
        ),
        "warehouse": WarehouseResource(directory=str(directory)),
    }
