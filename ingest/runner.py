"""Run one ingest from plain settings: the functions Dagster assets and the CLI call."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from cdf_client.client import RequestStats, WorkflowsClient
from cdf_client.config import CdfConfig
from cdf_client.errors import CdfError, ConfigError, SourceUnavailableError
from ingest.executions import IngestReport, IngestSettings, ProgressCallback, ingest
from ingest.staging import merge_staged, scratch_directory
from ingest.trigger_ingest import fetch_trigger_sources, ingest_triggers
from warehouse.lock import WriterLock, check_writable
from warehouse.schema import TRIGGER_TABLES
from warehouse.store import INGEST_DUCKDB_MEMORY, Warehouse

log = logging.getLogger(__name__)


def run_ingest(
    cdf: CdfConfig,
    warehouse_dir: Path,
    settings: IngestSettings | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: ProgressCallback | None = None,
    lock_timeout_s: float = 600.0,
    parquet_uri: str | None = None,
    duckdb_memory: str | None = None,
    check_access: bool = True,
) -> IngestReport:
    """Take the single-writer lock, open the client and the warehouse, run one ingest.

    ``parquet_uri``: an ``s3://bucket/prefix`` for the Parquet tree (default: under
    ``warehouse_dir``). ``duckdb_memory``: the operator's DuckDB memory cap (default: the
    ingest's own, ``INGEST_DUCKDB_MEMORY``). ``check_access=False``: the caller has just
    checked it.
    """

    stats = RequestStats()  # the preflight's requests and retries count in the run's report
    # Credentials, project and network first: a run that cannot read CDF leaves no file behind
    # (no warehouse directory, lock file or empty database).
    if check_access:
        asyncio.run(_preflight(cdf, transport, stats))
    if settings is not None and settings.is_backfill:
        return _staged_backfill(
            cdf,
            warehouse_dir,
            settings,
            transport,
            progress,
            stats,
            parquet_uri,
            lock_timeout_s,
            duckdb_memory,
        )
    with WriterLock(warehouse_dir, timeout_s=lock_timeout_s):
        return asyncio.run(
            _ingest_project(
                cdf,
                warehouse_dir,
                settings,
                transport,
                progress,
                stats,
                parquet_uri,
                duckdb_memory,
            )
        )


def _staged_backfill(
    cdf: CdfConfig,
    warehouse_dir: Path,
    settings: IngestSettings,
    transport: httpx.AsyncBaseTransport | None,
    progress: ProgressCallback | None,
    stats: RequestStats,
    parquet_uri: str | None,
    lock_timeout_s: float,
    duckdb_memory: str | None = None,
) -> IngestReport:
    """Fetch a backfill window without the lock, then merge it under the lock
    (see :mod:`ingest.staging`)."""
    # Before the fetch, not after it: a warehouse it could never merge into fails at once.
    check_writable(warehouse_dir)
    with scratch_directory() as scratch:
        report = asyncio.run(
            _ingest_project(
                cdf, Path(scratch), settings, transport, progress, stats, None, duckdb_memory
            )
        )
        with (
            WriterLock(warehouse_dir, timeout_s=lock_timeout_s),
            Warehouse(
                warehouse_dir,
                project=cdf.project,
                parquet_uri=parquet_uri,
                memory_limit=duckdb_memory or INGEST_DUCKDB_MEMORY,
            ) as warehouse,
        ):
            warehouse.ensure_schema()
            merge_staged(Path(scratch), warehouse, report)
    return report


async def _preflight(
    cdf: CdfConfig, transport: httpx.AsyncBaseTransport | None, stats: RequestStats
) -> None:
    async with WorkflowsClient(cdf, transport=transport, stats=stats) as client:
        await client.check_access()


async def _ingest_project(
    cdf: CdfConfig,
    warehouse_dir: Path,
    settings: IngestSettings | None,
    transport: httpx.AsyncBaseTransport | None,
    progress: ProgressCallback | None,
    stats: RequestStats,
    parquet_uri: str | None = None,
    duckdb_memory: str | None = None,
) -> IngestReport:
    async with WorkflowsClient(cdf, transport=transport, stats=stats) as client:
        with Warehouse(
            warehouse_dir,
            project=cdf.project,
            parquet_uri=parquet_uri,
            memory_limit=duckdb_memory or INGEST_DUCKDB_MEMORY,
        ) as warehouse:
            warehouse.ensure_schema()
            if settings is not None and settings.is_backfill:
                # A backfill window leaves triggers alone.
                report = await ingest(client, warehouse, settings, progress)
            else:
                report = await _ingest_with_triggers(client, warehouse, settings, progress)
            report.requests = client.stats.as_dict()  # with the trigger requests
            return report


async def _ingest_with_triggers(
    client: WorkflowsClient,
    warehouse: Warehouse,
    settings: IngestSettings | None,
    progress: ProgressCallback | None,
) -> IngestReport:
    # Trigger lists and histories are fetched while the executions load (network only, so they
    # overlap the executions' fetch instead of adding to it) and written after them: the
    # execution high-water mark bounds which scheduled fires are due.
    fetching = asyncio.create_task(fetch_trigger_sources(client))
    try:
        report = await ingest(client, warehouse, settings, progress)
    except BaseException:
        fetching.cancel()
        await asyncio.gather(fetching, return_exceptions=True)
        raise
    triggers = await ingest_triggers(client, warehouse, sources=await fetching)
    report.triggers = triggers.as_dict()
    report.table_counts.update(warehouse.counts(TRIGGER_TABLES))
    return report


@dataclass
class ProjectsOutcome:
    """What a run over several CDF projects did: a report per project that loaded, an error
    per project that did not."""

    reports: dict[str, IngestReport] = field(default_factory=dict)
    errors: dict[str, CdfError] = field(default_factory=dict)

    def combined(self) -> IngestReport:
        """The projects' reports added up (table counts and the preview are the warehouse's,
        which holds every project)."""
        total = IngestReport()
        reports = list(self.reports.values())
        for report in reports:
            for name, value in report.__dict__.items():
                if (
                    isinstance(value, int)
                    and not isinstance(value, bool)
                    and name
                    not in (
                        "window_start_ms",
                        "window_end_ms",
                        "high_water_before_ms",
                        "high_water_after_ms",
                    )
                ):
                    setattr(total, name, getattr(total, name) + value)
            total.seconds += report.seconds
            total.requests = _add_counts(total.requests, report.requests)
            total.triggers = _add_counts(total.triggers, report.triggers)
        if reports:
            last = reports[-1]
            total.table_counts, total.recent = last.table_counts, last.recent
            for name, pick in (
                ("window_start_ms", min),
                ("window_end_ms", max),
                ("high_water_after_ms", max),
                ("first_request_at", min),
            ):
                values = [getattr(r, name) for r in reports if getattr(r, name) is not None]
                setattr(total, name, pick(values) if values else None)
        total.seconds = round(total.seconds, 3)
        return total


def _add_counts(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = out.get(key, 0) + value
    return out


class ProjectsFailedError(CdfError):
    """Some configured projects could not be loaded; the others were (see ``outcome``)."""

    def __init__(self, outcome: ProjectsOutcome) -> None:
        self.outcome = outcome
        failed = "; ".join(f"{name!r}: {exc}" for name, exc in outcome.errors.items())
        loaded = ", ".join(repr(name) for name in outcome.reports) or "none"
        total = len(outcome.errors) + len(outcome.reports)
        super().__init__(
            f"{len(outcome.errors)} of {total} CDF projects failed: {failed}; loaded: {loaded}"
        )

    @property
    def transient(self) -> bool:
        """Every failure is the source being down: retrying later may succeed."""
        return all(isinstance(e, SourceUnavailableError) for e in self.outcome.errors.values())


def run_ingest_projects(
    configs: Sequence[CdfConfig],
    warehouse_dir: Path,
    settings: IngestSettings | None = None,
    *,
    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
    progress: ProgressCallback | None = None,
    lock_timeout_s: float = 600.0,
    parquet_uri: str | None = None,
    duckdb_memory: str | None = None,
    check_access: bool = True,
) -> ProjectsOutcome:
    """One ingest of each configured project into one warehouse, one project after the other.

    Each project has its own client, credentials and incremental state. A project that fails
    (bad credentials, no access, CDF down past the retry budget) is recorded and the others are
    still loaded; then :class:`ProjectsFailedError` names it. With a single project its error is
    raised as is, exactly as :func:`run_ingest` does.
    """
    transports = transports or {}
    names = [c.project for c in configs]
    if len(set(names)) != len(names):
        raise ConfigError(f"a CDF project is configured twice: {names}")
    if len(configs) == 1:
        cdf = configs[0]
        report = run_ingest(
            cdf,
            warehouse_dir,
            settings,
            transport=transports.get(cdf.project),
            progress=progress,
            lock_timeout_s=lock_timeout_s,
            parquet_uri=parquet_uri,
            duckdb_memory=duckdb_memory,
            check_access=check_access,
        )
        return ProjectsOutcome(reports={cdf.project: report})
    outcome = ProjectsOutcome()
    ready: list[tuple[CdfConfig, RequestStats]] = []
    for cdf in configs:
        stats = RequestStats()
        try:
            asyncio.run(_preflight(cdf, transports.get(cdf.project), stats))
        except CdfError as exc:
            log.error("CDF project %r failed (the other projects go on): %s", cdf.project, exc)
            outcome.errors[cdf.project] = exc
            continue
        ready.append((cdf, stats))
    if ready and settings is not None and settings.is_backfill:
        _load_each(
            ready,
            outcome,
            lambda cdf, stats: _staged_backfill(
                cdf,
                warehouse_dir,
                settings,
                transports.get(cdf.project),
                progress,
                stats,
                parquet_uri,
                lock_timeout_s,
                duckdb_memory,
            ),
        )
    elif ready:
        with WriterLock(warehouse_dir, timeout_s=lock_timeout_s):
            _load_each(
                ready,
                outcome,
                lambda cdf, stats: asyncio.run(
                    _ingest_project(
                        cdf,
                        warehouse_dir,
                        settings,
                        transports.get(cdf.project),
                        progress,
                        stats,
                        parquet_uri,
                        duckdb_memory,
                    )
                ),
            )
    if outcome.errors:
        raise ProjectsFailedError(outcome)
    return outcome


def _load_each(
    ready: list[tuple[CdfConfig, RequestStats]],
    outcome: ProjectsOutcome,
    load: Callable[[CdfConfig, RequestStats], IngestReport],
) -> None:
    """Load each project in turn; a project that fails is recorded and the next one still runs.

    Whatever a failed project committed stays (each batch is a transaction); its next run
    completes it, as after any failed run.
    """
    for cdf, stats in ready:
        try:
            outcome.reports[cdf.project] = load(cdf, stats)
        except CdfError as exc:
            log.error("CDF project %r failed (the other projects go on): %s", cdf.project, exc)
            outcome.errors[cdf.project] = exc
