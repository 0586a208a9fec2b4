"""Workflow triggers in the warehouse: flattening, cron expansion and the transactional write.

* :func:`flatten_triggers` / :func:`flatten_trigger_runs`: API records to frames shaped like
  ``workflow_triggers`` / ``trigger_runs``; a record that cannot be read becomes a
  ``rejected_records`` row instead.
* :func:`expected_fire_times`: the instants a cron expression names in an IANA time zone.
* :func:`write_trigger_batch`: upsert triggers and runs, replace and add expected fires, write
  the ingest state, all in one transaction, marking the touched Parquet partitions dirty.

Daylight-saving rules of the expansion (those of Vixie cron, which CDF's scheduler is assumed to
follow): a schedule with a wildcard hour field follows real time, so on the night the clocks
go back ``7 * * * *`` fires in both 02:07s, and on the night they go forward there is simply
no 02:07. A schedule with fixed hours fires once per wall-clock time: in the repeated hour only
the first 02:30 counts, and a time inside the skipped hour fires when the clocks jump (03:00).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl
from croniter import croniter

from warehouse.flatten.rejections import rejected_frame
from warehouse.schema import TRIGGER_EXPECTED_FIRES, TRIGGER_RUNS, WORKFLOW_TRIGGERS
from warehouse.source_values import json_text, time_problem, unknown_fields
from warehouse.sqlfiles import store_sql
from warehouse.store import Warehouse

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TRIGGER_FIELDS = frozenset(
    {
        "externalId",
        "workflowExternalId",
        "workflowVersion",
        "triggerRule",
        "input",
        "metadata",
        "createdTime",
        "lastUpdatedTime",
        "isPaused",
    }
)
_RUN_FIELDS = frozenset(
    {
        "externalId",
        "fireTime",
        "workflowExternalId",
        "workflowVersion",
        "status",
        "workflowExecutionId",
        "reasonForFailure",
    }
)
# Safety net against an expression like "* * * * *" over months: about 93 days of minutes.
MAX_EXPECTED_PER_TRIGGER = 135_000


def ms_to_datetime(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def datetime_to_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _extra(record: dict[str, Any], known: frozenset[str]) -> str | None:
    unknown = unknown_fields(record, known)
    return json_text(unknown) if unknown else None


def _trigger_problem(rec: Any) -> str | None:
    if not isinstance(rec, dict):
        return "trigger is not a JSON object"
    if not isinstance(rec.get("externalId"), str) or not rec["externalId"]:
        return "trigger has no externalId"
    if not isinstance(rec.get("workflowExternalId"), str):
        return "trigger has no workflowExternalId"
    rule = rec.get("triggerRule")
    if not isinstance(rule, dict) or not isinstance(rule.get("triggerType"), str):
        return "trigger has no triggerRule.triggerType"
    if rule["triggerType"] == "schedule" and not isinstance(rule.get("cronExpression"), str):
        return "schedule trigger has no cronExpression"
    for name in ("createdTime", "lastUpdatedTime"):
        problem = time_problem(rec.get(name), f"trigger {name}")
        if problem is not None:
            return problem
    return None


def _run_problem(rec: Any) -> str | None:
    if not isinstance(rec, dict):
        return "trigger run is not a JSON object"
    if not isinstance(rec.get("externalId"), str):
        return "trigger run has no externalId"
    problem = time_problem(rec.get("fireTime"), "trigger run fireTime")
    if problem is not None:
        return problem
    if not isinstance(rec.get("status"), str):
        return "trigger run has no status"
    return None


def flatten_triggers(
    records: Iterable[Any], *, seen_at: datetime
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(``workflow_triggers`` rows, ``rejected_records`` rows); a repeated externalId: last wins."""
    rows: dict[str, tuple[Any, ...]] = {}
    rejected: list[tuple[Any, str]] = []
    for rec in records:
        problem = _trigger_problem(rec)
        if problem is not None:
            rejected.append((rec, problem))
            continue
        rule = rec["triggerRule"]
        version = rec.get("workflowVersion")
        paused = rec.get("isPaused")
        rows[rec["externalId"]] = (
            rec["externalId"],
            rec["workflowExternalId"],
            None if version is None else str(version),
            rule["triggerType"],
            rule.get("cronExpression") if isinstance(rule.get("cronExpression"), str) else None,
            rule.get("timezone") if isinstance(rule.get("timezone"), str) else None,
            paused if isinstance(paused, bool) else None,
            json_text(rule),
            json_text(rec.get("input")),
            json_text(rec.get("metadata")),
            ms_to_datetime(rec["createdTime"]),
            ms_to_datetime(rec["lastUpdatedTime"]),
            _extra(rec, _TRIGGER_FIELDS),
            seen_at,
        )
    frame = pl.DataFrame(
        list(rows.values()), schema=WORKFLOW_TRIGGERS.polars_schema(), orient="row"
    )
    return frame, rejected_frame(rejected, source="trigger", rejected_at=seen_at)


def flatten_trigger_runs(
    records: Iterable[Any], *, ingested_at: datetime
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(``trigger_runs`` rows, ``rejected_records`` rows); one row per (trigger, fireTime)."""
    rows: dict[tuple[str, int], tuple[Any, ...]] = {}
    rejected: list[tuple[Any, str]] = []
    for rec in records:
        problem = _run_problem(rec)
        if problem is not None:
            rejected.append((rec, problem))
            continue
        version = rec.get("workflowVersion")
        execution_id = rec.get("workflowExecutionId")
        reason = rec.get("reasonForFailure")
        rows[(rec["externalId"], rec["fireTime"])] = (
            rec["externalId"],
            ms_to_datetime(rec["fireTime"]),
            rec.get("workflowExternalId")
            if isinstance(rec.get("workflowExternalId"), str)
            else None,
            None if version is None else str(version),
            rec["status"],
            execution_id if isinstance(execution_id, str) else None,
            reason if isinstance(reason, str) else None,
            _extra(rec, _RUN_FIELDS),
            ingested_at,
        )
    frame = pl.DataFrame(list(rows.values()), schema=TRIGGER_RUNS.polars_schema(), orient="row")
    return frame, rejected_frame(rejected, source="trigger_run", rejected_at=ingested_at)


class CronError(ValueError):
    """A cron expression or time zone that cannot be expanded."""


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CronError(f"unknown time zone {name!r}") from exc


def iter_fire_times(
    cron: str, timezone: str | None, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """(UTC instant, wall-clock time in the zone) of each fire in ``[start, end)``.

    See the module docstring for the daylight-saving rules.
    """
    zone = _zone(timezone)
    fields = cron.split()
    if len(fields) != 5 or not croniter.is_valid(cron):
        raise CronError(f"not a five-field cron expression: {cron!r}")
    wildcard_hour = fields[1] == "*"
    # croniter returns instants strictly after its start: step back a microsecond so a fire
    # exactly at `start` is included.
    it = croniter(cron, (start - timedelta(microseconds=1)).astimezone(zone))
    previous_wall: datetime | None = None
    while True:
        moment: datetime = it.get_next(datetime)
        if moment >= end:
            return
        wall = moment.replace(tzinfo=None)
        if not wildcard_hour and wall == previous_wall:
            continue  # the same wall-clock time again, in the hour the clocks went back
        previous_wall = wall
        yield moment.astimezone(UTC), wall


def expected_fire_times(
    cron: str, timezone: str | None, start: datetime, end: datetime
) -> list[datetime]:
    """The UTC instants the schedule names in ``[start, end)``."""
    return [utc for utc, _ in iter_fire_times(cron, timezone, start, end)]


def expected_fires_frame(
    trigger_external_id: str,
    cron: str,
    timezone: str | None,
    start: datetime,
    end: datetime,
    *,
    computed_at: datetime,
) -> pl.DataFrame:
    """``trigger_expected_fires`` rows of one trigger in ``[start, end)``."""
    zone_name = timezone or "UTC"
    rows = []
    for utc, wall in iter_fire_times(cron, timezone, start, end):
        rows.append((trigger_external_id, utc, wall, cron, zone_name, computed_at))
        if len(rows) >= MAX_EXPECTED_PER_TRIGGER:
            break
    return pl.DataFrame(rows, schema=TRIGGER_EXPECTED_FIRES.polars_schema(), orient="row")


@dataclass(frozen=True)
class TriggerWriteResult:
    triggers: int  # trigger rows written (new or replaced)
    runs_inserted: int  # trigger runs new to the warehouse
    runs_written: int  # trigger runs written (new or replaced)
    expected_deleted: int  # expected fires removed because their trigger's schedule changed
    expected_inserted: int
    rejected: int


_FRAMES = {
    "triggers": "batch_triggers",
    "runs": "batch_trigger_runs",
    "expected": "batch_expected_fires",
    "resets": "batch_expected_resets",
    "rejected": "batch_rejected",
}
_RESET_SCHEMA = pl.Schema({"trigger_external_id": pl.String, "from_time": pl.Datetime("us", "UTC")})


def write_trigger_batch(
    warehouse: Warehouse,
    *,
    triggers: pl.DataFrame,
    runs: pl.DataFrame,
    expected: pl.DataFrame,
    resets: Sequence[tuple[str, datetime]],
    rejected: pl.DataFrame,
    state: dict[str, object],
) -> TriggerWriteResult:
    """Write one trigger ingest in a single transaction.

    ``resets``: (trigger, from) pairs whose stored expected fires at or after ``from`` are
    removed first (the schedule changed); ``expected`` rows are then added, existing keys kept.
    """
    con = warehouse.connection
    frames = {
        _FRAMES["triggers"]: triggers,
        _FRAMES["runs"]: runs,
        _FRAMES["expected"]: expected,
        _FRAMES["resets"]: pl.DataFrame(list(resets), schema=_RESET_SCHEMA, orient="row"),
        _FRAMES["rejected"]: rejected,
    }
    for name, frame in frames.items():
        con.register(name, warehouse.with_project(frame).to_arrow())

    def scalar(statement: str) -> int:
        rows = con.execute(store_sql(statement)).fetchall()
        return int(rows[0][0]) if rows else 0

    try:
        with warehouse.transaction():
            con.execute(store_sql("trigger_mark_dirty"))
            written = scalar("trigger_upsert_triggers")
            new_runs = scalar("trigger_count_new_runs")
            runs_written = scalar("trigger_upsert_runs")
            deleted = scalar("trigger_delete_expected")
            inserted = scalar("trigger_insert_expected")
            con.execute(store_sql("mark_dirty_rejected"))
            rejected_n = scalar("insert_rejected")
            warehouse._write_state(state)
    finally:
        for name in frames:
            con.unregister(name)
    return TriggerWriteResult(written, new_runs, runs_written, deleted, inserted, rejected_n)
