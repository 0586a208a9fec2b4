"""Backfills that fetch in parallel and write one at a time.

A history backfill fetches its day into a private scratch warehouse (no lock: nobody else
opens it), then takes the warehouse's writer lock only to merge the staged rows and rewrite the
touched Parquet partitions. Several partitions therefore fetch from CDF at the same time
(Dagster's multiprocess or Kubernetes executor) while DuckDB still sees one writer at a time.

The merge is one `apply_batch` transaction, so a backfill killed at any point leaves the
warehouse as it was (or with the merged day committed and its Parquet marked dirty, which the
next run completes); the scratch directory is temporary and never read by anyone else.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from ingest.executions import IngestReport
from warehouse.flatten import FlatBatch
from warehouse.inspection import recent_executions
from warehouse.schema import REJECTED_RECORDS, TASK_DEFINITIONS, TASK_EXECUTIONS, Table
from warehouse.schema import WORKFLOW_EXECUTIONS as EXECUTIONS
from warehouse.store import Warehouse


def _source_frame(staged: Warehouse, table: Table) -> pl.DataFrame:
    """A staged table as the flattener made it (without the project column the store adds)."""
    frame = staged.frame(table.name)
    return frame.select(list(table.column_names)).cast(dict(table.polars_schema()))


def staged_batch(staged: Warehouse) -> FlatBatch:
    return FlatBatch(
        executions=_source_frame(staged, EXECUTIONS),
        task_executions=_source_frame(staged, TASK_EXECUTIONS),
        task_definitions=_source_frame(staged, TASK_DEFINITIONS),
        rejected=_source_frame(staged, REJECTED_RECORDS),
    )


def merge_staged(staged_dir: Path, warehouse: Warehouse, report: IngestReport) -> None:
    """Apply everything staged in ``staged_dir`` to the open ``warehouse`` (one transaction),
    rewrite its dirty partitions, and put the merge's counts in ``report``."""
    with Warehouse(staged_dir, project=warehouse.project, read_only=True) as staged:
        batch = staged_batch(staged)
    # Stamped when written into the warehouse, under its writer lock, not when fetched into the
    # scratch copy: the next nightly run's checks look at the rows stamped since the last run
    # whose checks passed, and a merge never lands behind that mark.
    stamp = pl.lit(datetime.now(UTC), dtype=batch.executions.schema["ingested_at"])
    batch = replace(batch, executions=batch.executions.with_columns(stamp.alias("ingested_at")))
    # Partitions a killed run left dirty are completed first, as an incremental run does.
    warehouse.flush()
    result = warehouse.apply_batch(batch)
    flushed = warehouse.flush()
    report.executions_inserted = result.inserted
    report.executions_updated = result.updated
    report.task_rows_written = result.task_rows
    report.definitions_inserted = result.definitions
    report.rejected = result.rejected
    report.partitions_written = flushed.written + flushed.removed
    report.table_counts = warehouse.counts()
    report.recent = recent_executions(warehouse)


def scratch_directory() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="workflow-analytics-backfill-")
