"""The code location loads, its jobs and schedule are what operators expect."""

from __future__ import annotations

import dagster as dg

from assets.views import MODELS
from pipelines.definitions import defs
from pipelines.schedules import NIGHTLY_CRON


def test_definitions_load_and_validate() -> None:
    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {
        "workflow_executions",
        "task_executions",
        "task_definitions",
        "rejected_records",
        "history_backfill",
        "workflow_daily_sla",
    } <= keys
    assert {v.name for v in MODELS} <= keys


def test_tables_carry_column_schemas_owners_and_kinds() -> None:
    graph = defs.resolve_asset_graph()
    node = graph.get(dg.AssetKey("workflow_executions"))
    schema = node.metadata["dagster/column_schema"]
    names = [c.name for c in schema.columns]
    assert names[:4] == ["cdf_project", "execution_id", "workflow_external_id", "workflow_version"]
    assert "duration_ms" in names
    assert node.owners == ["team:data-engineering"]
    assert {"duckdb", "parquet"} <= set(node.kinds)


def test_nightly_schedule_runs_the_nightly_job_at_night_utc() -> None:
    schedule = defs.resolve_schedule_def("nightly_ingest_schedule")
    assert schedule.cron_schedule == NIGHTLY_CRON == "30 2 * * *"
    assert schedule.execution_timezone == "UTC"
    assert schedule.job_name == "nightly_ingest"
    context = dg.build_schedule_context(
        scheduled_execution_time=__import__("datetime").datetime(2026, 11, 2, 2, 30)
    )
    requests = list(schedule.evaluate_tick(context).run_requests or [])
    assert len(requests) == 1


def test_nightly_job_selects_the_tables_and_every_view_but_not_the_backfill() -> None:
    job = defs.resolve_job_def("nightly_ingest")
    selected = {k.to_user_string() for k in job.asset_layer.executable_asset_keys}
    assert "workflow_executions" in selected
    assert "sla_breaches" in selected
    assert "history_backfill" not in selected


def test_backfill_job_is_daily_partitioned() -> None:
    job = defs.resolve_job_def("history_backfill_job")
    partitions = job.partitions_def
    assert isinstance(partitions, dg.DailyPartitionsDefinition)
    assert partitions.get_partition_keys()[0] == "2024-01-01"


def test_warehouse_writers_share_one_pool_and_backfills_run_in_parallel() -> None:
    from assets.ingest import cdf_incremental_ingest, history_backfill
    from assets.views import analytics_views

    pools = {a.op.pool for a in (cdf_incremental_ingest, analytics_views)}
    assert pools == {"duckdb_warehouse"}
    # Backfill partitions stage their day and take only the writer lock to merge.
    assert history_backfill.op.pool is None
