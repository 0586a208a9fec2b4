"""Helpers for the Dagster tests: the job's resources for a simulator and a warehouse, and the
pipeline materialised in process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dagster as dg

from assets.checks import ALL_CHECKS
from assets.ingest import cdf_incremental_ingest, history_backfill
from assets.resources import CdfResource, WarehouseResource
from assets.views import analytics_views
from cdf_simulator import Simulator, create_app

# Every asset and check of the pipeline, and the nightly job's selection of them.
ALL_DEFINITIONS = [cdf_incremental_ingest, history_backfill, analytics_views, *ALL_CHECKS]
NIGHTLY = dg.AssetSelection.assets(cdf_incremental_ingest, analytics_views)


def materialize(
    resources: dict[str, Any], selection: Any = None, partition_key: str | None = None
) -> dg.ExecuteInProcessResult:
    """``dg.materialize`` of the pipeline's definitions; a failed run is returned, not raised."""
    return dg.materialize(
        ALL_DEFINITIONS,
        resources=resources,
        selection=selection,
        partition_key=partition_key,
        raise_on_error=False,
    )


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


def materialization_metadata(result: dg.ExecuteInProcessResult, key: str) -> dict[str, Any]:
    """The metadata of the run's materialization of the asset ``key``, as plain values."""
    for event in result.get_asset_materialization_events():
        mat = event.materialization
        if mat is not None and mat.asset_key.to_user_string() == key:
            return {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
    raise AssertionError(f"no materialization of {key}")
