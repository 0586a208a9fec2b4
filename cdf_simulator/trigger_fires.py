"""Workflow triggers: the schedules that start the scheduled workflows, and their fire history.

Every hourly, six-hourly and daily workflow has one schedule trigger whose cron expression
describes exactly the slots the timeline lays out; every ad-hoc workflow has a dataModeling
trigger whose fires are its ad-hoc executions (or, for those the ``record_stream`` shape picks,
a ``recordStream`` trigger fired by new records in a stream). Burst workflows have none: their
runs are started through the API by an outside scheduler (several executions per slot, one
createdTime).

A fire is a pure function of (seed, trigger, slot):

* inside a **paused** window there is no fire at all, and no execution;
* inside an **incident** window (expired session, revoked credentials) every fire fails;
* otherwise a small share of fires fail for transient reasons;
* a failed fire starts nothing: the timeline leaves the whole slot out, so no execution exists
  for it. A successful fire links to member 0 of its slot (later members of a slot with
  fan-out > 1 are treated as started through the API alongside it).

Daily triggers run in a time zone (some with daylight-saving time): their slot instants follow
the local wall clock, so the UTC time of a daily run moves by an hour across DST changes.
Local times between 01:00 and 03:59 are avoided in zones with DST, so no scheduled time falls in
a skipped or repeated hour.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from .catalog import ALWAYS_RUNNING_INDEX, HOUR_MS, MINUTE_MS, Workflow
from .config import DAY_MS
from .rng import hash_ints, unit

SCHEDULED_KINDS = frozenset({"hourly", "sixhourly", "daily"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAILY_ZONES: tuple[str | None, ...] = (
    "Europe/Oslo",
    "America/Chicago",
    "UTC",
    "Asia/Kolkata",
    None,  # no timezone field: the API's default, UTC
    "Europe/Oslo",
)
_DST_ZONES = frozenset({"Europe/Oslo", "America/Chicago"})
_INCIDENT_REASONS = (
    "Failed to create a session for the trigger: the session has expired. Recreate the trigger "
    "with valid client credentials.",
    "Invalid client credentials: AADSTS7000222: The provided client secret keys for app "
    "'{app}' are expired.",
)
_TRANSIENT_REASONS = (
    "Failed to start workflow execution: the project already runs 50 concurrent executions.",
    "Internal error while starting the workflow execution (request id {rid}).",
    "Failed to refresh the session for the trigger: token endpoint answered 503.",
)
# Tag values keep the hash streams of triggers apart from those of executions.
_TAG_FAIL = 0x7F1
_TAG_PAUSE = 0x7F2
_TAG_LATE = 0x7F3


@dataclass(frozen=True)
class Window:
    start_ms: int
    end_ms: int
    reason: str = ""

    def contains(self, ms: int) -> bool:
        return self.start_ms <= ms < self.end_ms


@dataclass
class Trigger:
    index: int
    external_id: str
    workflow: Workflow
    trigger_type: str  # "schedule", "dataModeling" or "recordStream"
    created_time: int
    cron: str | None = None
    timezone: str | None = None
    # Daily schedules in a zone: local wall-clock hour and minute of the slot.
    local_hour: int = 0
    local_minute: int = 0
    p_fail: float = 0.0
    pauses: tuple[Window, ...] = ()
    incidents: tuple[Window, ...] = ()
    input: dict[str, Any] | None = None
    metadata: dict[str, str] | None = None
    _zone: ZoneInfo | None = field(default=None, repr=False)

    # -- schedule ------------------------------------------------------------------------
    @property
    def local_daily(self) -> bool:
        return self.trigger_type == "schedule" and self.workflow.period_ms == DAY_MS

    def slot_time(self, slot: int) -> int:
        """Scheduled instant (epoch ms) of a slot: day number for daily schedules."""
        wf = self.workflow
        if not self.local_daily:
            return slot * wf.period_ms + wf.phase_ms
        return _local_daily_ms(self.timezone or "UTC", slot, self.local_hour, self.local_minute)

    def slot_range(self, lo_ms: int, hi_ms: int) -> range:
        """Slots whose scheduled instant may fall in [lo, hi) (a superset)."""
        wf = self.workflow
        if self.local_daily:
            # The local offset is within +-14 h: one extra day each side covers it.
            return range(max(0, lo_ms // DAY_MS - 1), hi_ms // DAY_MS + 2)
        first = max(0, (lo_ms - wf.phase_ms - 2_000) // wf.period_ms)
        return range(first, (hi_ms - wf.phase_ms) // wf.period_ms + 2)

    # -- outcomes ------------------------------------------------------------------------
    def paused_at(self, ms: int) -> bool:
        return any(w.contains(ms) for w in self.pauses)

    def failure(self, seed: int, slot: int, member: int, scheduled_ms: int) -> str | None:
        """Why the fire of this slot failed, or None when it started its execution."""
        for w in self.incidents:
            if w.contains(scheduled_ms):
                return w.reason
        h = hash_ints(seed, self.index, slot, member, _TAG_FAIL)
        if unit(h) < self.p_fail:
            reason = _TRANSIENT_REASONS[(h >> 7) % len(_TRANSIENT_REASONS)]
            return reason.format(rid=f"{(h >> 13) & 0xFFFFFFFF:08x}")
        return None

    def fires(self, seed: int, slot: int, member: int, scheduled_ms: int) -> bool:
        """Whether this slot starts an execution (not paused, fire not failed)."""
        if self.paused_at(scheduled_ms):
            return False
        return self.failure(seed, slot, member, scheduled_ms) is None

    def fire_lag_ms(self, seed: int, slot: int, base_lag_ms: int) -> int:
        """Delay from the scheduled instant to the execution's createdTime.

        About 2 % of scheduled fires are late by one to ten minutes (a busy scheduler); the rest
        keep the timeline's usual sub-second latency.
        """
        h = hash_ints(seed, self.index, slot, _TAG_LATE)
        if self.trigger_type == "schedule" and unit(h) < 0.02:
            return base_lag_ms + MINUTE_MS * (1 + (h >> 9) % 10)
        return base_lag_ms

    # -- JSON ----------------------------------------------------------------------------
    def version_at(self, ms: int) -> str:
        return self.workflow.version_at(ms).version

    def last_updated(self, now_ms: int) -> int:
        """Latest change at or before now: creation, a version switch, a pause or resume."""
        moments = [self.created_time]
        moments += [v.active_from_ms for v in self.workflow.versions[1:]]
        for w in self.pauses:
            moments += [w.start_ms, w.end_ms]
        return (
            max(m for m in moments if m <= now_ms)
            if now_ms >= self.created_time
            else (self.created_time)
        )

    def rule_json(self) -> dict[str, Any]:
        if self.trigger_type == "schedule":
            rule: dict[str, Any] = {"triggerType": "schedule", "cronExpression": self.cron}
            if self.timezone is not None:
                rule["timezone"] = self.timezone
            return rule
        space = "sp_" + self.workflow.external_id.replace("-", "_")[:40]
        if self.trigger_type == "recordStream":
            # The exact fields of this rule are not public (it is in Cognite's SDKs, not in the
            # API reference): a stream, an optional filter on the records, and batching like
            # dataModeling's; consumers must keep whatever else it carries.
            return {
                "triggerType": "recordStream",
                "streamExternalId": f"{self.workflow.external_id}-records"[:255],
                "filter": {"equals": {"property": ["node", "space"], "value": space}},
                "batchSize": 100,
                "batchTimeout": 60,
            }
        return {
            "triggerType": "dataModeling",
            "dataModelingQuery": {
                "with": {
                    "changed": {
                        "nodes": {
                            "filter": {"equals": {"property": ["node", "space"], "value": space}}
                        },
                        "limit": 1000,
                    }
                },
                "select": {
                    "changed": {
                        "sources": [
                            {
                                "source": {
                                    "type": "view",
                                    "space": "cdf_cdm",
                                    "externalId": "CogniteTimeSeries",
                                    "version": "v1",
                                },
                                "properties": ["*"],
                            }
                        ]
                    }
                },
            },
            "batchSize": 100,
            "batchTimeout": 60,
        }

    def to_json(self, now_ms: int) -> dict[str, Any]:
        out: dict[str, Any] = {
            "externalId": self.external_id,
            "workflowExternalId": self.workflow.external_id,
            "workflowVersion": self.version_at(now_ms),
            "triggerRule": self.rule_json(),
            "createdTime": self.created_time,
            "lastUpdatedTime": self.last_updated(now_ms),
            "isPaused": self.paused_at(now_ms),
        }
        if self.input is not None:
            out["input"] = self.input
        if self.metadata is not None:
            out["metadata"] = self.metadata
        return out


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _local_daily_ms(zone: str, day: int, hour: int, minute: int) -> int:
    local_date = (_EPOCH + timedelta(days=day)).date()
    local = datetime(
        local_date.year, local_date.month, local_date.day, hour, minute, tzinfo=_zone(zone)
    )
    return int(local.timestamp()) * 1000


def _hours_field(hours: list[int]) -> str:
    return "*" if len(hours) == 24 else ",".join(str(h) for h in sorted(hours))


def _schedule(t: Trigger, seed: int) -> None:
    """Fill in the cron expression and zone that describe the workflow's slots exactly."""
    wf = t.workflow
    if wf.kind == "daily":
        zone = _DAILY_ZONES[hash_ints(seed, wf.index, 0x20E) % len(_DAILY_ZONES)]
        hour, minute = wf.phase_ms // HOUR_MS, (wf.phase_ms % HOUR_MS) // MINUTE_MS
        if zone in _DST_ZONES and 1 <= hour <= 3:
            zone = "Asia/Kolkata"  # no DST: no skipped or repeated local hour
        t.timezone, t.local_hour, t.local_minute = zone, hour, minute
        t.cron = f"{minute} {hour} * * *"
        return
    minute = (wf.phase_ms % HOUR_MS) // MINUTE_MS
    if wf.kind == "sixhourly":
        first = wf.phase_ms // HOUR_MS
        t.cron = f"{minute} {_hours_field([first + 6 * k for k in range(4)])} * * *"
        return
    hours = [(wf.first_hour + k) % 24 for k in range(wf.active_hours)]
    t.cron = f"{minute} {_hours_field(hours)} * * *"
    # An every-hour schedule fires at the same instants in any whole-hour zone, DST or not.
    if len(hours) == 24 and hash_ints(seed, wf.index, 0x20F) % 3 == 0:
        t.timezone = "Europe/Oslo"


def build_triggers(
    seed: int,
    workflows: list[Workflow],
    world_start_ms: int,
    world_end_ms: int,
    record_stream: Callable[[int], bool] = lambda _: False,
    created_ms: int | None = None,
) -> dict[int, Trigger]:
    """One trigger per scheduled or ad-hoc workflow, keyed by workflow index; `record_stream`
    says which ad-hoc workflows (by index) have a recordStream trigger instead of dataModeling.
    `created_ms`: when the triggers were created, if later than the world's start (its first
    runs); their pauses and incidents keep their places in the world's span."""
    out: dict[int, Trigger] = {}
    span = world_end_ms - world_start_ms
    n_scheduled = 0
    for wf in workflows:
        if wf.kind in SCHEDULED_KINDS:
            kind, suffix = "schedule", "schedule"
        elif wf.kind == "adhoc" and record_stream(wf.index):
            kind, suffix = "recordStream", "on-record"
        elif wf.kind == "adhoc":
            kind, suffix = "dataModeling", "on-change"
        else:
            continue
        h = hash_ints(seed, wf.index, 0x7A1)
        t = Trigger(
            index=wf.index,
            external_id=f"{wf.external_id}-{suffix}",
            workflow=wf,
            trigger_type=kind,
            # Created as the runs begin: no schedule slot before it has an execution.
            created_time=world_start_ms if created_ms is None else created_ms,
            p_fail=(0.005, 0.01, 0.02, 0.03)[(h >> 8) % 4],
            input={"mode": ("incremental", "full")[(h >> 12) % 2]} if (h >> 14) % 3 else None,
            metadata={"owner": ("data-platform", "ops", "analytics")[(h >> 16) % 3]}
            if (h >> 18) % 2
            else None,
        )
        if kind == "schedule":
            _schedule(t, seed)
        if wf.index == ALWAYS_RUNNING_INDEX:
            # Its runs must overlap at every clock time: no gaps in its schedule.
            t.p_fail = 0.0
        else:
            t.pauses, t.incidents = _windows(seed, wf, n_scheduled, world_start_ms, span, h)
        if kind == "schedule":
            n_scheduled += 1
        out[wf.index] = t
    return out


def _windows(
    seed: int, wf: Workflow, ordinal: int, start_ms: int, span: int, h: int
) -> tuple[tuple[Window, ...], tuple[Window, ...]]:
    """Paused windows and failure incidents. The first scheduled triggers always get one each,
    so every world shows both; others get them by chance."""
    pauses: list[Window] = []
    incidents: list[Window] = []
    hp = hash_ints(seed, wf.index, _TAG_PAUSE)
    if ordinal == 1 or unit(hp) < 0.2:
        at = start_ms + int(span * (0.3 + 0.4 * unit(hash_ints(hp, 1))))
        at -= at % HOUR_MS
        pauses.append(Window(at, at + HOUR_MS * (12 + hash_ints(hp, 2) % 96)))
    if ordinal == 0 or unit(hash_ints(hp, 3)) < 0.15:
        at = start_ms + int(span * (0.2 + 0.5 * unit(hash_ints(hp, 4))))
        at -= at % HOUR_MS
        reason = _INCIDENT_REASONS[(h >> 20) % len(_INCIDENT_REASONS)].format(
            app=f"wf-{wf.external_id}"[:40]
        )
        incidents.append(Window(at, at + HOUR_MS * (6 + hash_ints(hp, 5) % 42), reason))
    return tuple(pauses), tuple(incidents)
