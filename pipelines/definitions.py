"""The Dagster code location: `dg dev`, `dg launch` and `dg check defs` in the repository root
load `defs` from here (`[tool.dg]` in pyproject.toml; `workspace.yaml` names the same module).

Resources read the contract's environment variables at run time (see `assets.resources`);
set them in the environment of the Dagster daemon and webserver, or override fields here with
``dg.EnvVar`` for secrets managed elsewhere.
"""

from __future__ import annotations

import dagster as dg

from assets.alerts import workflow_alerts
from assets.checks import ALL_CHECKS
from assets.ingest import cdf_incremental_ingest, history_backfill
from assets.resources import CdfResource, WarehouseResource
from assets.views import analytics_views
from pipelines.jobs import history_backfill_job, nightly_ingest_job
from pipelines.schedules import nightly_ingest_schedule

defs = dg.Definitions(
    assets=[cdf_incremental_ingest, history_backfill, analytics_views, workflow_alerts],
    asset_checks=ALL_CHECKS,
    jobs=[nightly_ingest_job, history_backfill_job],
    schedules=[nightly_ingest_schedule],
    resources={
        "cdf": CdfResource(),
        "warehouse": WarehouseResource(),
    },
)
