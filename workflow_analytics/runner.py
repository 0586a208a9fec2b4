"""Run one ingest from plain settings: the function Dagster assets and the CLI both call."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from cdf_client.client import RequestStats, WorkflowsClient
from cdf_client.config import CdfConfig
from warehouse.lock import WriterLock
from warehouse.schema import TRIGGER_TABLES
from warehouse.store import Warehouse
from workflow_analytics.ingest import IngestReport, IngestSettings, ProgressCallback, ingest
from workflow_analytics.inspect import table_counts
from workflow_analytics.triggers import ingest_triggers


def run_ingest(
    cdf: CdfConfig,
    warehouse_dir: Path,
    settings: IngestSettings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: ProgressCallback | None = None,
    lock_timeout_s: float = 600.0,
) -> IngestReport:
    """Take the single-writer lock, open the client and the warehouse, run one ingest."""

    stats = RequestStats()  # the preflight's requests and retries count in the run's report

    async def main() -> IngestReport:
        async with WorkflowsClient(cdf, transport=transport, stats=stats) as client:
            with Warehouse(warehouse_dir, project=cdf.project) as warehouse:
                warehouse.ensure_schema()
                report = await ingest(client, warehouse, settings, progress)
                # Triggers after executions: the execution high-water mark bounds which
                # scheduled fires are already due. A backfill window leaves them alone.
                if settings is None or not settings.is_backfill:
                    report.triggers = (await ingest_triggers(client, warehouse)).as_dict()
                    report.table_counts.update(table_counts(warehouse, TRIGGER_TABLES))
                report.requests = client.stats.as_dict()  # with the trigger requests
                return report

    async def preflight() -> None:
        async with WorkflowsClient(cdf, transport=transport, stats=stats) as client:
            await client.check_access()

    # Credentials, project and network first: a run that cannot read CDF leaves no file behind
    # (no warehouse directory, lock file or empty database).
    asyncio.run(preflight())
    with WriterLock(warehouse_dir, timeout_s=lock_timeout_s):
        return asyncio.run(main())
