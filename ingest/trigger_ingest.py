"""The trigger ingest: triggers, their run history, and the fires their schedules promise.

Policy:

* The trigger list is small: it is read whole on every run and every listed trigger is upserted
  (``last_seen_at`` moves). A trigger that leaves the list keeps its row.
* A trigger's run history has no time filter and no documented order, so every page is read;
  only the runs with ``fireTime`` at or after the trigger's high-water mark minus a lookback
  (24 h by default) are written, upserted by (trigger, fireTime). A run the warehouse already
  holds is therefore rewritten at most during one lookback, and runs that aged out of CDF stay.
* Expected fires of every schedule trigger are expanded from its cron in its time zone
  (:mod:`warehouse.trigger_tables`), from where the previous run stopped up to an "as of"
  instant: the newest evidence the source gave (latest fire listed, or the execution high-water
  mark), less a grace period for late fires, and never past the wall clock. The first run
  starts them at the trigger's creation or 90 days (less an hour) before the newest evidence
  (CDF's history retention), whichever is later, and that start is kept so later runs never
  reach further back. A trigger whose cron or zone changed has its expected fires recomputed
  from its ``lastUpdatedTime``.
* Reading touches no warehouse (:func:`fetch_trigger_sources`), so the nightly run reads the
  lists and histories while the executions load, under the client's shared request limiter;
  writing waits for the executions, whose high-water mark bounds which fires are due.
* Everything is written in one transaction with the per-trigger state; Parquet partitions are
  rewritten afterwards, as for executions. Records that cannot be read go to
  ``rejected_records``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl

from cdf_client.client import WorkflowsClient
from cdf_client.errors import CdfApiError
from ingest.executions import HIGH_WATER_KEY, HOUR_MS
from ingest.list_items import CDF_RETENTION_MS
from warehouse.schema import TRIGGER_EXPECTED_FIRES
from warehouse.source_values import is_ms
from warehouse.store import Warehouse
from warehouse.trigger_tables import (
    CronError,
    datetime_to_ms,
    expected_fires_frame,
    flatten_trigger_runs,
    flatten_triggers,
    ms_to_datetime,
    write_trigger_batch,
)

log = logging.getLogger(__name__)

STATE_KEY = "triggers.state"
COVERAGE_KEY = "triggers.coverage_start_ms"
MINUTE_MS = 60_000


@dataclass(frozen=True)
class TriggerSettings:
    lookback_hours: float = 24.0
    # Fires this recent are not expected yet: a scheduler may fire a few minutes late.
    grace_minutes: float = 30.0
    # Trigger histories read at once (the client's adaptive limiter still caps the requests in
    # flight; reading only a few at a time made the trigger ingest a visible part of a first
    # load).
    concurrency: int = 16


@dataclass
class TriggerReport:
    triggers_listed: int = 0
    histories_read: int = 0
    histories_missing: int = 0  # listed, then 400/404 on its history (deleted meanwhile)
    runs_listed: int = 0
    runs_in_window: int = 0
    runs_inserted: int = 0
    expected_inserted: int = 0
    expected_deleted: int = 0
    unexpandable: list[str] = field(default_factory=list)
    rejected: int = 0
    as_of_ms: int | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _max(*values: int | None) -> int | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


@dataclass
class TriggerSources:
    """What the trigger ingest reads from CDF: the trigger list and each trigger's run history.
    Fetching them touches no warehouse, so it can overlap the execution ingest."""

    # The list flattened once, stamped with when it was read: valid triggers and rejected rows.
    triggers: pl.DataFrame
    rejected_triggers: pl.DataFrame
    histories: dict[str, list[Any]]
    report: TriggerReport
    seconds: float


async def fetch_trigger_sources(
    client: WorkflowsClient, settings: TriggerSettings | None = None
) -> TriggerSources:
    """The trigger list, then the run history of every trigger in it."""
    settings = settings or TriggerSettings()
    report = TriggerReport()
    started = time.monotonic()
    listed = await client.list_triggers()
    report.triggers_listed = len(listed)
    triggers, rejected = flatten_triggers(listed, seen_at=datetime.now(UTC))
    ids = triggers["trigger_external_id"].to_list()
    histories = await _read_histories(client, ids, settings, report)
    return TriggerSources(triggers, rejected, histories, report, time.monotonic() - started)


async def ingest_triggers(
    client: WorkflowsClient,
    warehouse: Warehouse,
    settings: TriggerSettings | None = None,
    sources: TriggerSources | None = None,
) -> TriggerReport:
    """One incremental trigger ingest into an open warehouse (see the module docstring).

    ``sources``: the trigger list and histories when already fetched (see
    :func:`fetch_trigger_sources`); otherwise they are fetched here.
    """
    settings = settings or TriggerSettings()
    if sources is None:
        sources = await fetch_trigger_sources(client, settings)
    started = time.monotonic()
    report, triggers, histories = sources.report, sources.triggers, sources.histories
    rejected_triggers = sources.rejected_triggers
    now = datetime.now(UTC)
    state: dict[str, dict[str, Any]] = dict(
        await asyncio.to_thread(warehouse.read_state, STATE_KEY, {})  # type: ignore[arg-type]
    )

    runs_kept: list[Any] = []
    newest_fire: int | None = None
    for xid, runs in histories.items():
        previous = state.get(xid, {}).get("runs_hwm_ms")
        cutoff = None if previous is None else previous - int(settings.lookback_hours * HOUR_MS)
        fire_times = [
            r["fireTime"] for r in runs if isinstance(r, dict) and is_ms(r.get("fireTime"))
        ]
        hwm = _max(previous, *fire_times)
        newest_fire = _max(newest_fire, *fire_times)
        state.setdefault(xid, {})["runs_hwm_ms"] = hwm
        for run in runs:
            fire = run.get("fireTime") if isinstance(run, dict) else None
            # Unreadable runs pass through so that flattening records them as rejected.
            if cutoff is None or not is_ms(fire) or fire >= cutoff:
                runs_kept.append(run)
    report.runs_in_window = len(runs_kept)
    runs, rejected_runs = flatten_trigger_runs(runs_kept, ingested_at=now)

    executions_hwm = await asyncio.to_thread(warehouse.read_state, HIGH_WATER_KEY)
    evidence = _max(newest_fire, executions_hwm if is_ms(executions_hwm) else None)
    expected = TRIGGER_EXPECTED_FIRES.empty_frame()
    resets: list[tuple[str, datetime]] = []
    coverage = await asyncio.to_thread(warehouse.read_state, COVERAGE_KEY)
    extra_state: dict[str, object] = {}
    if evidence is not None:
        as_of = min(evidence, datetime_to_ms(now)) - int(settings.grace_minutes * MINUTE_MS)
        report.as_of_ms = as_of
        if not is_ms(coverage):
            # The oldest fires CDF still shows are 90 days older than the newest evidence; an
            # hour of margin keeps a slot at that edge from counting as missed.
            coverage = evidence - CDF_RETENTION_MS + HOUR_MS
            extra_state[COVERAGE_KEY] = coverage
        frames = []
        for row in triggers.filter(pl.col("trigger_type") == "schedule").iter_rows(named=True):
            frame, reset = _expected_for(row, state, int(coverage), as_of, now, report)
            if frame is not None:
                frames.append(frame)
            if reset is not None:
                resets.append(reset)
        if frames:
            expected = pl.concat(frames)

    rejected = pl.concat([rejected_triggers, rejected_runs])
    result = await asyncio.to_thread(
        write_trigger_batch,
        warehouse,
        triggers=triggers,
        runs=runs,
        expected=expected,
        resets=resets,
        rejected=rejected,
        state={STATE_KEY: state, **extra_state},
    )
    report.runs_inserted = result.runs_inserted
    report.expected_inserted = result.expected_inserted
    report.expected_deleted = result.expected_deleted
    report.rejected = result.rejected
    # Its tables' days (and any other table's): the models' days are the analytics step's.
    await asyncio.to_thread(functools.partial(warehouse.flush, models=False))
    report.seconds = round(time.monotonic() - started + sources.seconds, 3)
    return report


async def _read_histories(
    client: WorkflowsClient,
    external_ids: list[str],
    settings: TriggerSettings,
    report: TriggerReport,
) -> dict[str, list[Any]]:
    gate = asyncio.Semaphore(max(1, settings.concurrency))
    out: dict[str, list[Any]] = {}

    async def one(xid: str) -> None:
        async with gate:
            try:
                out[xid] = await client.list_trigger_runs(xid)
            except CdfApiError as exc:
                if exc.status not in (400, 404):
                    raise
                report.histories_missing += 1
                log.info("trigger %s is listed but its history is gone (%s)", xid, exc.status)
                return
        report.histories_read += 1
        report.runs_listed += len(out[xid])

    await asyncio.gather(*(one(xid) for xid in external_ids))
    return out


def _expected_for(
    row: dict[str, Any],
    state: dict[str, dict[str, Any]],
    coverage_ms: int,
    as_of_ms: int,
    now: datetime,
    report: TriggerReport,
) -> tuple[pl.DataFrame | None, tuple[str, datetime] | None]:
    """Expected fires to add for one schedule trigger, and a reset when its schedule changed."""
    xid, cron, zone = row["trigger_external_id"], row["cron_expression"], row["timezone"]
    entry = state.setdefault(xid, {})
    start_ms = max(datetime_to_ms(row["created_time"]), coverage_ms)
    reset = None
    if "expected_until_ms" in entry:
        if (entry.get("cron"), entry.get("timezone")) == (cron, zone):
            start_ms = max(start_ms, entry["expected_until_ms"])
        else:
            changed_at = row["last_updated_time"]
            reset = (xid, changed_at)
            start_ms = max(start_ms, datetime_to_ms(changed_at))
    if start_ms >= as_of_ms:
        return None, reset
    try:
        frame = expected_fires_frame(
            xid, cron, zone, ms_to_datetime(start_ms), ms_to_datetime(as_of_ms), computed_at=now
        )
    except CronError as exc:
        report.unexpandable.append(xid)
        log.warning("trigger %s: %s; no expected fires", xid, exc)
        # A schedule changed to one that cannot be expanded: the fires expected from the old
        # one after the change are still wrong, so the reset stands.
        return None, reset
    entry.update({"expected_until_ms": as_of_ms, "cron": cron, "timezone": zone})
    return frame, reset
