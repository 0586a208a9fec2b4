"""Jobs: the nightly incremental ingest and the per-day history backfill."""

from __future__ import annotations

import dagster as dg

from assets.alerts import ALERTS_ASSET
from assets.ingest import INGEST_TABLE_KEYS, history_backfill
from assets.views import MODEL_KEYS

NIGHTLY_SELECTION = dg.AssetSelection.assets(*INGEST_TABLE_KEYS, *MODEL_KEYS, ALERTS_ASSET)

# One process for the whole run: the steps share one DuckDB writer and run one after the other
# anyway, and the default multiprocess executor would start a Python process (importing Dagster
# and the project again) for each of the asset checks.
nightly_ingest_job = dg.define_asset_job(
    name="nightly_ingest",
    selection=NIGHTLY_SELECTION,
    description="Incremental ingest of CDF workflow executions, then the analytics views, then "
    "the alerts on new events.",
    tags={"workflow_analytics/kind": "incremental"},
    executor_def=dg.in_process_executor,
)

# Partitioned like the asset it selects (daily, see `assets.partitions`): Dagster takes the
# partitions from the selection.
history_backfill_job = dg.define_asset_job(
    name="history_backfill_job",
    selection=dg.AssetSelection.assets(history_backfill),
    description="Load one UTC day of execution history per partition (any date range).",
    tags={"workflow_analytics/kind": "backfill"},
)
