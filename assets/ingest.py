"""Ingest assets: the nightly incremental load and the per-day history backfill.

Both stream executions from CDF into the warehouse tables (see `ingest.executions` for
the incremental policy: a 30 h lookback behind the high-water mark, details fetched only for
new or changed executions, idempotent upserts committed with the state). The
assets only orchestrate: build settings, call `run_ingest_projects` (every configured CDF
project), report metadata.
"""

import logging
import time
from datetime import UTC, datetime
from typing import Any

import dagster as dg
import duckdb

from assets.common import (
    ACCESS_CHECKED_TAG,
    OWNERS,
    STEP_RETRIES_TAG,
    TRANSIENT_RETRY,
    WAREHOUSE_POOL,
    column_schema,
    markdown_table,
)
from assets.freshness import NIGHTLY_FRESHNESS
from assets.partitions import daily_history
from assets.resources import CdfResource, WarehouseResource
from cdf_client.config import CdfConfig
from cdf_client.errors import CdfError, SourceUnavailableError
from ingest.executions import IngestReport, IngestSettings, ProgressCallback
from ingest.gc_tuning import tuned_for_ingest
from ingest.progress import progress_line
from ingest.runner import ProjectsFailedError, ProjectsOutcome, run_ingest_projects
from ingest.settings import RunSettings
from warehouse.errors import duckdb_failure
from warehouse.lock import WarehouseBusyError, WarehouseUnwritableError
from warehouse.schema import (
    REJECTED_RECORDS,
    TASK_DEFINITIONS,
    TASK_EXECUTIONS,
    TRIGGER_EXPECTED_FIRES,
    TRIGGER_RUNS,
    WORKFLOW_EXECUTIONS,
    WORKFLOW_TRIGGERS,
)

INGEST_TABLES = (
    WORKFLOW_EXECUTIONS,
    TASK_EXECUTIONS,
    TASK_DEFINITIONS,
    REJECTED_RECORDS,
    WORKFLOW_TRIGGERS,
    TRIGGER_RUNS,
    TRIGGER_EXPECTED_FIRES,
)
INGEST_TABLE_KEYS = [dg.AssetKey(t.name) for t in INGEST_TABLES]
GROUP = "cdf_warehouse"
progress_log = logging.getLogger("ingest.progress")


def _ms_to_iso(ms: int | None) -> str | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC).isoformat()


def _run(
    context: dg.AssetExecutionContext,
    cdf: CdfResource,
    warehouse: WarehouseResource,
    settings: IngestSettings,
) -> tuple[ProjectsOutcome, dg.Failure | None]:
    """Run the ingest of every configured project; turn known failures into one clear Dagster
    failure message. When only some projects failed, the others' outcome comes back with the
    failure, so their tables are still reported before the step fails."""
    last_log = 0.0

    def progress(report: IngestReport) -> None:
        nonlocal last_log
        # The command line runs the job in-process and draws its progress display from the
        # report itself (a no-op unless it listens).
        progress_log.debug("ingest progress", extra={"ingest_report": report})
        if time.monotonic() - last_log >= 10:
            last_log = time.monotonic()
            context.log.info(progress_line(report))

    try:
        configs = cdf.cdf_configs()
    except CdfError as exc:
        raise dg.Failure(description=f"CDF configuration: {exc}", allow_retries=False) from None
    retry = context.run.tags.get(STEP_RETRIES_TAG, "true") != "false"
    outcome, failure = _load(context, cdf, warehouse, settings, configs, progress, retry)
    if failure is None:
        # Every project loaded: the analytics and the checks follow. (A step that fails says
        # nothing here: a retry's reports come next, or the run ends.)
        progress_log.debug("ingest done", extra={"ingest_done": True})
    return outcome, failure


def _load(
    context: dg.AssetExecutionContext,
    cdf: CdfResource,
    warehouse: WarehouseResource,
    settings: IngestSettings,
    configs: list[CdfConfig],
    progress: ProgressCallback,
    retry: bool,
) -> tuple[ProjectsOutcome, dg.Failure | None]:
    try:
        # The step is this process's work: the collector is tuned for it here, at the entry
        # point, not inside the library (see ingest.gc_tuning).
        place = warehouse.settings()
        with tuned_for_ingest():
            outcome = run_ingest_projects(
                configs,
                place.path,
                settings,
                transports=cdf.transports(),
                progress=progress,
                parquet_uri=place.parquet_uri,
                duckdb_memory=place.duckdb_memory,
                check_access=context.run.tags.get(ACCESS_CHECKED_TAG) != "true",
            )
        return outcome, None
    except ProjectsFailedError as exc:
        failure = dg.Failure(description=str(exc), allow_retries=retry and exc.transient)
        if not exc.outcome.reports:
            raise failure from None
        return exc.outcome, failure
    except SourceUnavailableError as exc:
        raise dg.Failure(description=str(exc), allow_retries=retry) from None
    except (CdfError, WarehouseBusyError, WarehouseUnwritableError) as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    except duckdb.Error as exc:
        # The warehouse's own failure (its memory cap, a full disk) happens again minutes later:
        # no retry, and one line that says what to change.
        raise dg.Failure(description=duckdb_failure(exc), allow_retries=False) from exc
    except ImportError as exc:
        # A package the setup needs is missing (a SOCKS proxy wants httpx's `socksio`): it is
        # still missing minutes later. Other errors keep the step retries (an S3 flush's 503).
        raise dg.Failure(description=f"{type(exc).__name__}: {exc}", allow_retries=False) from exc


def _report_metadata(report: IngestReport, outcome: ProjectsOutcome) -> dict[str, Any]:
    requests = report.requests
    return {
        "cdf_projects": ", ".join(outcome.reports),
        "cdf_projects_failed": ", ".join(outcome.errors),
        "window_start": _ms_to_iso(report.window_start_ms),
        "window_end": _ms_to_iso(report.window_end_ms),
        "high_water_mark": _ms_to_iso(report.high_water_after_ms),
        "executions_listed": report.listed,
        "executions_new": report.new,
        "executions_changed": report.changed,
        "executions_still_open": report.still_open + report.open_outside_window,
        "executions_unchanged": report.unchanged,
        "details_fetched": report.details_fetched,
        "details_missing": report.details_missing,
        "triggers_listed": report.triggers.get("triggers_listed", 0),
        "trigger_runs_new": report.triggers.get("runs_inserted", 0),
        "api_requests": requests.get("total_requests", 0),
        "api_retries": requests.get("retries", 0),
        "api_throttled": requests.get("throttled", 0),
        "run_seconds": report.seconds,
        # When the run first asked CDF: the command line's summary counts start-up until then.
        **(
            {"first_request_at": dg.MetadataValue.timestamp(report.first_request_at)}
            if report.first_request_at is not None
            else {}
        ),
    }


def _materializations(outcome: ProjectsOutcome) -> list[dg.MaterializeResult]:
    report = outcome.combined()
    counts = report.table_counts
    shared = _report_metadata(report, outcome)
    per_table: dict[str, dict[str, Any]] = {
        WORKFLOW_EXECUTIONS.name: {
            "rows_inserted": report.executions_inserted,
            "rows_updated": report.executions_updated,
            "preview": dg.MetadataValue.md(markdown_table(report.recent)),
        },
        TASK_EXECUTIONS.name: {"rows_written": report.task_rows_written},
        TASK_DEFINITIONS.name: {"rows_inserted": report.definitions_inserted},
        REJECTED_RECORDS.name: {"rows_rejected_this_run": report.rejected},
        WORKFLOW_TRIGGERS.name: {"triggers_listed": report.triggers.get("triggers_listed", 0)},
        TRIGGER_RUNS.name: {"rows_inserted": report.triggers.get("runs_inserted", 0)},
        TRIGGER_EXPECTED_FIRES.name: {
            "rows_inserted": report.triggers.get("expected_inserted", 0),
            "expected_up_to": _ms_to_iso(report.triggers.get("as_of_ms")),
        },
    }
    return [
        dg.MaterializeResult(
            asset_key=table.name,
            metadata={
                "dagster/row_count": counts.get(table.name, 0),
                **per_table[table.name],
                **shared,
            },
        )
        for table in INGEST_TABLES
    ]


@dg.asset(
    partitions_def=daily_history,
    group_name=GROUP,
    kinds={"python", "duckdb", "parquet"},
    owners=OWNERS,
    # No warehouse pool: a partition fetches its day into a scratch warehouse first and takes
    # the writer lock only to merge, so partitions fetch from CDF in parallel.
    retry_policy=TRANSIENT_RETRY,
    description=(
        "History backfill: loads the executions created on one UTC day (the partition) into the "
        "warehouse tables. Partitions fetch in parallel into scratch warehouses and merge one "
        "at a time under the writer lock. Safe next to the nightly run: upserts are idempotent, "
        "so a day loaded twice holds the same rows."
    ),
)
def history_backfill(
    context: dg.AssetExecutionContext, cdf: CdfResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    window = context.partition_time_window
    start_ms = int(window.start.timestamp() * 1000)
    # createdTimeEnd's inclusiveness is not documented: ask for the closed interval and let the
    # upsert absorb an execution at exactly midnight that both neighbouring days may return.
    end_ms = int(window.end.timestamp() * 1000)
    outcome, failure = _run(
        context, cdf, warehouse, IngestSettings(window_start_ms=start_ms, window_end_ms=end_ms)
    )
    if failure is not None:
        # The day is only complete when every project's part of it is loaded.
        raise failure
    report = outcome.combined()
    return dg.MaterializeResult(
        metadata={
            "rows_inserted": report.executions_inserted,
            "rows_updated": report.executions_updated,
            "task_rows_written": report.task_rows_written,
            "rows_rejected": report.rejected,
            **_report_metadata(report, outcome),
        }
    )


def _table_spec(table: Any) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=table.name,
        description=table.description,
        group_name=GROUP,
        kinds={"duckdb", "parquet"},
        owners=OWNERS,
        deps=[history_backfill],
        # A missed nightly turns these red in the UI even when no run happens to check them.
        freshness_policy=NIGHTLY_FRESHNESS,
        metadata={
            "dagster/column_schema": column_schema(table),
            "dagster/table_name": f"workflows.main.{table.name}",
            "primary_key": ", ".join(table.stored_key),
        },
    )


@dg.multi_asset(
    name="cdf_incremental_ingest",
    specs=[_table_spec(t) for t in INGEST_TABLES],
    pool=WAREHOUSE_POOL,
    retry_policy=TRANSIENT_RETRY,
    description=(
        "Nightly incremental ingest of CDF workflow executions: lists the createdTime window "
        "from 30 h before the high-water mark, fetches details only for new or changed "
        "executions (and, by id, still-open ones the window no longer lists), upserts them "
        "with the state in one transaction per batch, then "
        "rewrites the touched Parquet partitions atomically."
    ),
)
def cdf_incremental_ingest(
    context: dg.AssetExecutionContext, cdf: CdfResource, warehouse: WarehouseResource
) -> Any:
    try:
        settings = IngestSettings(refetch_open=RunSettings.load().refetch_open)
    except CdfError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    outcome, failure = _run(context, cdf, warehouse, settings)
    # Projects that loaded are reported even when another failed; then the step fails.
    yield from _materializations(outcome)
    if failure is not None:
        raise failure
