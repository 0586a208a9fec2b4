"""What the asset modules share: groups, owners, the writer pool, the retry policy."""

from __future__ import annotations

from typing import Any

import dagster as dg
from tabulate import tabulate

from warehouse.schema import WORKFLOW_EXECUTIONS, Table

OWNERS = ["team:data-engineering"]
# DuckDB takes one writer per file: every asset that writes the warehouse uses this pool, so
# Dagster runs them one at a time (the file lock in `warehouse.lock` backs this up across runs).
WAREHOUSE_POOL = "duckdb_warehouse"

# Transient failures (CDF down past the client's own retry budget) get two more tries, minutes
# apart; configuration and permission errors are raised with allow_retries=False.
TRANSIENT_RETRY = dg.RetryPolicy(
    max_retries=2, delay=60, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
# A run tagged with this set to "false" fails at once when CDF stays down past the client's own
# retry budget: `workflow-analytics ingest` at a terminal reports it instead of waiting minutes.
STEP_RETRIES_TAG = "workflow_analytics/step_retries"
# A run tagged with this set to "true" skips the ingest's access check: the command line made it
# just before starting the run (while Dagster loaded).
ACCESS_CHECKED_TAG = "workflow_analytics/access_checked"


def column_schema(table: Table) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=c.name, type=c.duckdb_type, description=c.description)
            for c in table.stored_columns
        ]
    )


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """Rows as a GitHub-style markdown table, for the UI's metadata (pipes and line breaks in
    values escaped so a cell stays one cell)."""
    if not rows:
        return "_no rows_"

    def cell(value: Any) -> str:
        return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")

    body = [[cell(value) for value in row.values()] for row in rows]
    return tabulate(body, headers=list(rows[0]), tablefmt="github", disable_numparse=True)


# Where the next nightly run's data checks start (epoch seconds): the start of the checks step on
# the ingest's tables in the last run whose blocking checks passed. Every row stamped before it
# was written when those checks opened the warehouse, so they saw it; the analytics step, which
# runs only when they passed, records it (see `assets.checks`).
CHECKED_SINCE_KEY = "checks.next_scope_start"
INGEST_CHECKS_STEP = "ingest_table_checks"


def materialized_in_this_run(context: Any, asset: str) -> Any:
    """The latest materialization event of ``asset`` when this run wrote it, else None."""
    event = context.instance.get_latest_materialization_event(dg.AssetKey(asset))
    if event is None or event.run_id != context.run.run_id or event.asset_materialization is None:
        return None
    return event


def step_start(context: Any, step_key: str) -> float | None:
    """When this run started the step (epoch seconds); None when it did not run in it."""
    for entry in context.instance.all_logs(
        context.run.run_id, of_type=dg.DagsterEventType.STEP_START
    ):
        if entry.step_key == step_key:
            return float(entry.timestamp)
    return None


def ingest_wrote_in_this_run(context: Any) -> bool:
    """Whether this run's ingest wrote the tables (False when checks or analytics run on their
    own)."""
    return materialized_in_this_run(context, WORKFLOW_EXECUTIONS.name) is not None
