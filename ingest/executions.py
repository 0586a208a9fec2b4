"""The incremental ingest: list executions, fetch the details that matter, write the warehouse.

Policy (the list endpoint filters only by ``createdTime``; executions change after creation):

* List the ``createdTime`` window ``[high-water mark - lookback, now)``. The default lookback
  (30 h) covers CDF's 24 h run cap plus a margin for executions that show up in the list a little
  after their ``createdTime``. Without a high-water mark the window is the whole history.
* Fetch the detail of an execution only when it is new or when its list summary (status,
  start, end) differs from the stored row. An execution stored while still open (RUNNING) is
  fetched again when its summary changes, which it does when it ends, so its final tasks always
  land; in between, its task rows are those of the last fetch. (``refetch_open`` re-fetches
  open executions on every run instead, for fresher task rows of long runs at one detail
  request per open execution per run.) Stored open executions that the window no longer lists
  are fetched by id until terminal: nothing else would tell that they ended.
  A finished, unchanged execution is never fetched twice.
* Details are written in batches, each in one DuckDB transaction. The high-water mark moves
  only in the final transaction, once the whole window was listed; a run killed earlier is
  simply done again by the next run, which skips what was already stored unchanged.
* An execution listed but gone when its detail is asked (400/404) is counted and skipped.
  Executions that aged out of CDF stay in the warehouse: it is their only long-term record.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import orjson

from cdf_client.client import WorkflowsClient
from ingest.list_items import HOUR_MS, listing_position, summary_key, valid_summary
from warehouse.analytics.build import BuildReport, build_ahead
from warehouse.flatten import SOURCE_SUMMARY, flatten_details, rejected_frame
from warehouse.inspection import recent_executions
from warehouse.schema import TERMINAL_EXECUTION_STATUSES
from warehouse.store import Warehouse
from warehouse.wire import DetailAnswer

log = logging.getLogger(__name__)

# The newest createdTime the ingest has listed (also what the trigger ingest takes as evidence).
HIGH_WATER_KEY = "executions.high_water_created_ms"
LAST_RUN_KEY = "executions.last_run"


@dataclass(frozen=True)
class IngestSettings:
    """Knobs of one ingest run.

    ``window_start_ms``/``window_end_ms`` give an explicit ``createdTime`` window (a backfill
    partition); such a run leaves the high-water mark alone.
    """

    lookback_hours: float = 30.0
    # Details per DuckDB transaction. Batches are written while the next one is fetched, but
    # the last one after the fetch, while the user waits: a smaller batch makes that wait
    # shorter, a bigger one pays fewer transactions (a WAL write and a checkpoint each;
    # benchmarks/flatten_write.py). Writing whatever had arrived whenever the writer was idle
    # shortened the last write but slowed the fetch more; halving the batches after the
    # listing's last page shortened the last write by what it added to the fetch (the event
    # loop and the writer share one interpreter lock).
    batch_size: int = 2000
    # ...or fewer, once the waiting bodies reach this many bytes: a real task's input and
    # output may be large, and a batch of heavy executions must still fit in memory, so the
    # batch's memory follows its bytes rather than its count.
    batch_bytes: int = 96 * 2**20
    page_size: int = 1000
    window_start_ms: int | None = None
    window_end_ms: int | None = None
    # Re-fetch listed open executions even when their summary is unchanged (see module doc).
    refetch_open: bool = False

    @property
    def is_backfill(self) -> bool:
        return self.window_start_ms is not None or self.window_end_ms is not None


@dataclass
class IngestReport:
    """What one run did; becomes Dagster metadata and the CLI summary."""

    window_start_ms: int | None = None
    window_end_ms: int | None = None
    high_water_before_ms: int | None = None
    high_water_after_ms: int | None = None
    listed: int = 0
    duplicates_in_list: int = 0
    new: int = 0
    changed: int = 0
    still_open: int = 0
    unchanged: int = 0
    open_outside_window: int = 0
    details_fetched: int = 0
    details_missing: int = 0
    executions_inserted: int = 0
    executions_updated: int = 0
    task_rows_written: int = 0
    definitions_inserted: int = 0
    rejected: int = 0
    batches: int = 0
    partitions_written: int = 0
    # Pending identities the analytics models kept per execution were built for during the
    # load, batch by batch (warehouse.analytics.build.build_ahead).
    analytics_built_ahead: int = 0
    # The CDF project the run loaded (a progress display of several projects names each).
    project: str = ""
    # How far through its createdTime window the listing is, 0..1 (listing_position).
    listing_position: float = 0.0
    seconds: float = 0.0
    # When the run sent its first request to CDF (epoch s); before it, the user waited for start-up.
    first_request_at: float | None = None
    requests: dict[str, Any] = field(default_factory=dict)
    table_counts: dict[str, int] = field(default_factory=dict)
    recent: list[dict[str, Any]] = field(default_factory=list)
    # What the trigger ingest that followed did (ingest.trigger_ingest.TriggerReport).
    triggers: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The counters (not the table counts or preview rows), JSON-ready."""
        return {k: v for k, v in self.__dict__.items() if k not in ("table_counts", "recent")}


ProgressCallback = Callable[[IngestReport], None]


class _Run:
    def __init__(
        self,
        client: WorkflowsClient,
        warehouse: Warehouse,
        settings: IngestSettings,
        progress: ProgressCallback | None,
    ) -> None:
        self.client = client
        self.warehouse = warehouse
        self.settings = settings
        self.progress = progress
        self.report = IngestReport(project=client.config.project)
        self.seen: set[str] = set()
        self.max_created: int | None = None
        self.min_created: int | None = None
        # The listing's pages come newest first (seen from its second page on).
        self.newest_first = False
        self.rejected_summaries: list[tuple[Any, str]] = []
        # Listed executions to fetch that no batch holds yet, with their createdTime.
        self.unwritten: dict[str, int] = {}
        self.ahead_failed = False
        # DuckDB is used from worker threads (to keep the event loop fetching); one at a time.
        self.db_lock = asyncio.Lock()
        # Except the stored summaries of listed pages: read through a cursor of their own.
        self.reader = warehouse.connection.cursor()

    async def db(self, fn: Callable[..., Any], *args: Any) -> Any:
        async with self.db_lock:
            return await asyncio.to_thread(fn, *args)

    def _tick(self) -> None:
        if self.progress is not None:
            self.progress(self.report)

    async def ids_to_fetch(self) -> AsyncIterator[str]:
        settings, report = self.settings, self.report
        window_end = report.window_end_ms
        if window_end is None:
            window_end = int(time.time() * 1000)
        async for page in self.client.list_executions(
            created_time_start=report.window_start_ms,
            created_time_end=report.window_end_ms,
            page_size=settings.page_size,
        ):
            fresh: dict[str, dict[str, Any]] = {}
            now_ms = int(time.time() * 1000)
            oldest_before = self.min_created
            for item in page:
                problem = valid_summary(item, now_ms)
                if problem is not None:
                    self.rejected_summaries.append((item, problem))
                    continue
                execution_id = item["id"]
                if execution_id in self.seen or execution_id in fresh:
                    report.duplicates_in_list += 1
                    continue
                fresh[execution_id] = item
                created = item["createdTime"] = int(item["createdTime"])
                if self.max_created is None or created > self.max_created:
                    self.max_created = created
                if self.min_created is None or created < self.min_created:
                    self.min_created = created
            report.listed += len(fresh)
            if fresh and oldest_before is not None:
                # A page older than everything before it: the cursor walks createdTime down.
                newest = max(item["createdTime"] for item in fresh.values())
                self.newest_first = newest <= oldest_before
            if report.window_start_ms is None and oldest_before is None:
                # A first load's first page: which way the pages walk is not known yet.
                report.listing_position = 0.0
            else:
                report.listing_position = listing_position(
                    report.window_start_ms,
                    window_end,
                    self.min_created,
                    self.max_created,
                    newest_first=self.newest_first,
                )
            self.seen.update(fresh)
            # Through its own cursor, without waiting for a batch being written (which held
            # the next page back for up to a second while the fetch workers ran dry). It sees
            # only committed rows, and that is enough: every execution in a batch not yet
            # committed was listed earlier in this run, so it is in `seen`, not in `fresh`.
            stored = await asyncio.to_thread(self.warehouse.summaries, list(fresh), self.reader)
            to_fetch: list[str] = []
            for execution_id, item in fresh.items():
                old = stored.get(execution_id)
                if old is None:
                    report.new += 1
                elif (old.status, old.start_time_ms, old.end_time_ms) != summary_key(item):
                    report.changed += 1
                elif settings.refetch_open and old.status not in TERMINAL_EXECUTION_STATUSES:
                    report.still_open += 1
                else:
                    report.unchanged += 1
                    continue
                to_fetch.append(execution_id)
                self.unwritten[execution_id] = item["createdTime"]
            for execution_id in to_fetch:
                yield execution_id
            self._tick()
        report.listing_position = 1.0
        if not settings.is_backfill:
            open_ids = await self.db(self.warehouse.open_execution_ids)
            for execution_id in open_ids:
                if execution_id not in self.seen:
                    report.open_outside_window += 1
                    yield execution_id

    def complete_before(self) -> date | None:
        """The day of the oldest listed execution not yet in a batch (or, when every listed
        one is in a batch, of the newest listed): no execution listed so far will add to an
        earlier day. The simulator's cursor walks ``createdTime``, so the listing's later pages
        do not either; CDF documents no order, and a day written again is only marked dirty
        again."""
        if self.unwritten:
            oldest = min(self.unwritten.values())
        elif self.max_created is not None:
            oldest = self.max_created
        else:
            return None
        return datetime.fromtimestamp(oldest / 1000, UTC).date()

    async def write(
        self,
        details: list[DetailAnswer],
        state: dict[str, Any] | None,
        complete_before: date | None = None,
    ) -> None:
        report = self.report
        rejected_summaries, self.rejected_summaries = self.rejected_summaries, []

        def flatten_and_apply() -> Any:
            now = datetime.now(UTC)
            # Answers are decoded here, in the writer's thread: a body that is not JSON, is
            # null or is for another id is rejected by the flattener like any bad record.
            batch = flatten_details(details, ingested_at=now)
            # The bodies are not needed by the write: let them go before DuckDB takes its
            # share of memory.
            details.clear()
            if rejected_summaries:
                batch = batch.with_rejected(
                    rejected_frame(rejected_summaries, source=SOURCE_SUMMARY, rejected_at=now)
                )
            applied = self.warehouse.apply_batch(batch, state)
            # Before the last batch, the analytics models kept per execution are built for this
            # batch and the days every listed execution still to be written is newer than go
            # to Parquet (those models' days too), while the fetch goes on, rather than after
            # it, when the user waits for them.
            if not complete_before:
                return applied, None, None
            ahead = None if self.settings.is_backfill else self._build_ahead()
            return applied, self.warehouse.flush(before=complete_before), ahead

        result, flushed, ahead = await self.db(flatten_and_apply)
        if ahead is not None:
            report.analytics_built_ahead += ahead.pending
        if flushed is not None:
            report.partitions_written += flushed.written + flushed.removed
        report.batches += 1
        report.executions_inserted += result.inserted
        report.executions_updated += result.updated
        report.task_rows_written += result.task_rows
        report.definitions_inserted += result.definitions
        report.rejected += result.rejected
        self._tick()

    def _build_ahead(self) -> BuildReport | None:
        # Work taken off the analytics step: when it fails (the ingest's smaller memory cap),
        # it is rolled back and the analytics step does it, as it does without this; the load's
        # later batches do not try again (they would hold up the writes with a larger scope).
        if self.ahead_failed:
            return None
        try:
            return build_ahead(self.warehouse.connection)
        except duckdb.Error as exc:
            self.ahead_failed = True
            log.warning("analytics models not built during the load (the step will): %s", exc)
            return None

    async def run(self) -> IngestReport:
        try:
            return await self._run()
        finally:
            self.reader.close()

    async def _run(self) -> IngestReport:
        settings, report = self.settings, self.report
        started = time.monotonic()
        # Finish what a killed run left: partitions committed in DuckDB but not yet in Parquet.
        await self.db(self.warehouse.flush)
        hwm = await self.db(self.warehouse.read_state, HIGH_WATER_KEY)
        report.high_water_before_ms = hwm
        if settings.is_backfill:
            report.window_start_ms = settings.window_start_ms
            report.window_end_ms = settings.window_end_ms
        elif hwm is not None:
            report.window_start_ms = int(hwm - settings.lookback_hours * HOUR_MS)
        pending: list[DetailAnswer] = []
        pending_bytes = 0
        # A full batch is flattened and written in the background while the next one is
        # fetched (one write at a time, at most one batch waiting): writing in line would stall
        # the fetches for every batch.
        writing: asyncio.Task[None] | None = None
        fetched = self.client.retrieve_detailed_many(self.ids_to_fetch())
        try:
            async for execution_id, detail in fetched:
                if detail is None:
                    self.unwritten.pop(execution_id, None)
                    report.details_missing += 1
                    log.info("execution %s is listed but its detail is gone; skipped", execution_id)
                    continue
                report.details_fetched += 1
                pending.append(DetailAnswer(execution_id, detail))
                pending_bytes += len(detail)
                if len(pending) >= settings.batch_size or pending_bytes >= settings.batch_bytes:
                    if writing is not None:
                        await writing
                    for answer in pending:
                        self.unwritten.pop(answer.asked_id, None)
                    complete_before = self.complete_before()
                    writing = asyncio.create_task(self.write(pending, None, complete_before))
                    pending, pending_bytes = [], 0
        except BaseException:
            if writing is not None:  # a write in progress commits or rolls back before closing
                try:
                    await asyncio.shield(writing)
                except Exception:  # logged: the error that stopped the ingest is the one raised
                    log.warning("a batch write also failed as the ingest stopped", exc_info=True)
            raise
        if writing is not None:
            await writing
        state: dict[str, Any] = {}
        if not settings.is_backfill:
            new_hwm = (
                max(v for v in (hwm, self.max_created) if v is not None)
                if (hwm is not None or self.max_created is not None)
                else None
            )
            report.high_water_after_ms = new_hwm
            if new_hwm is not None:
                state[HIGH_WATER_KEY] = new_hwm
        await self.write(pending, state)
        # The tables only: the models' newest days lack the last batch until the analytics step.
        flushed = await self.db(functools.partial(self.warehouse.flush, models=False))
        report.partitions_written += flushed.written + flushed.removed
        report.table_counts = await self.db(self.warehouse.counts)
        report.recent = await self.db(recent_executions, self.warehouse)
        report.seconds = round(time.monotonic() - started, 3)
        report.requests = self.client.stats.as_dict()
        report.first_request_at = self.client.stats.first_request_at
        # A record of the run for freshness and rejection checks; the data is already safe.
        last_run = {**report.as_dict(), "finished_at_epoch_s": time.time()}
        await self.db(
            self.warehouse.write_state, {LAST_RUN_KEY: orjson.loads(orjson.dumps(last_run))}
        )
        return report


async def ingest(
    client: WorkflowsClient,
    warehouse: Warehouse,
    settings: IngestSettings | None = None,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """One incremental (or explicit-window backfill) ingest into an open warehouse."""
    return await _Run(client, warehouse, settings or IngestSettings(), progress).run()
