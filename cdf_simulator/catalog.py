"""The project's workflows: names, schedules, concurrency, failure profiles and versions."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from .config import DAY_MS, SimulatorConfig
from .definitions import LEAF_TYPES, definition_hash, generate_tasks, next_version_tasks

HOUR_MS = 3_600_000
MINUTE_MS = 60_000

_BASE_NAMES = (
    "ingest-sap-assets",
    "ingest-sap-workorders",
    "ingest-pi-timeseries",
    "timeseries-quality-daily",
    "contextualize-pid-diagrams",
    "sync-maximo-notifications",
    "calc-production-kpis",
    "refresh-3d-models",
    "simulate-well-performance",
    "export-powerbi-datasets",
    "cleanup-stale-files",
    "transform-opcua-datapoints",
    "backfill-events-hourly",
    "validate-equipment-hierarchy",
    "compute-emissions-monthly",
    "ingest-osisoft-af",
    "match-entities-assets",
    "publish-maintenance-plans",
    "sync-sharepoint-documents",
    "aggregate-energy-usage",
    "detect-sensor-anomalies",
    "ingest-historian-alarms",
    "update-asset-criticality",
    "load-lab-samples",
    "forecast-production-daily",
    "replicate-raw-staging",
    "ingest-weather-forecast",
    "score-pump-health",
    "sync-sap-notifications",
    "calc-flare-volumes",
)
_DESCRIPTIONS = (
    "Nightly load from the source system into CDF",
    "Keeps CDF in sync with the source",
    "Quality checks with alerting",
    "Derived KPIs for dashboards",
    None,
)
# Schedule kinds: (name, period, weight in the execution budget).
_KINDS = (
    ("burst", 15 * MINUTE_MS, 6.0),
    ("hourly", HOUR_MS, 3.0),
    ("sixhourly", 6 * HOUR_MS, 1.0),
    ("daily", DAY_MS, 0.6),
    ("adhoc", HOUR_MS, 0.5),
)
_KIND_CYCLE = (
    "daily",
    "hourly",
    "burst",
    "daily",
    "adhoc",
    "sixhourly",
    "hourly",
    "daily",
    "daily",
    "adhoc",
    "burst",
    "daily",
)
ALWAYS_RUNNING_INDEX = 3
REQUIRED_TYPES_BY_INDEX = (
    ("dynamic",),
    ("subworkflow",),
    ("simulation",),
    ("dynamic", "subworkflow"),
)


@dataclass
class Version:
    version: str
    active_from_ms: int
    created_time: int
    description: str | None
    tasks: list[dict[str, Any]]
    hash: str
    # Indices of top-level tasks that can be chosen to fail the run (abortWorkflow leaves) and
    # of tasks that may end COMPLETED_WITH_ERRORS (skipTask leaves).
    abort_leaves: list[int] = field(default_factory=list)
    skip_leaves: list[int] = field(default_factory=list)

    def definition_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"hash": self.hash, "tasks": self.tasks}
        if self.description is not None:
            out["description"] = self.description
        return out


@dataclass
class Workflow:
    index: int
    external_id: str
    description: str | None
    data_set_id: int | None
    max_concurrent: int | None
    created_time: int
    last_updated_time: int
    kind: str
    period_ms: int
    phase_ms: int
    active_hours: int  # hours per day the schedule fires, from first_hour (UTC)
    first_hour: int
    fanout_mean: float
    adhoc_per_hour: float
    duration_median_ms: float
    duration_sigma: float
    p_fail: float
    p_cancel: float
    p_timeout: float
    retry_rows: bool  # retried tasks appear as one row per attempt (else a single row)
    versions: list[Version]
    metadata_keys: tuple[str, ...]

    def version_at(self, created_ms: int) -> Version:
        chosen = self.versions[0]
        for v in self.versions:
            if v.active_from_ms <= created_ms:
                chosen = v
        return chosen

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "externalId": self.external_id,
            "createdTime": self.created_time,
            "lastUpdatedTime": self.last_updated_time,
        }
        if self.description is not None:
            out["description"] = self.description
        if self.data_set_id is not None:
            out["dataSetId"] = self.data_set_id
        if self.max_concurrent is not None:
            out["maxConcurrentExecutions"] = self.max_concurrent
        return out


def _workflow_names(n: int, rng: random.Random) -> list[str]:
    names = list(_BASE_NAMES)
    rng.shuffle(names)
    out = names[:n]
    site = 1
    while len(out) < n:
        out.extend(f"{name}-site-{site:02d}" for name in names[: n - len(out)])
        site += 1
    return out


def _leaf_indices(tasks: list[dict[str, Any]], on_failure: str) -> list[int]:
    return [
        i for i, t in enumerate(tasks) if t["type"] in LEAF_TYPES and t["onFailure"] == on_failure
    ]


def build_catalog(
    config: SimulatorConfig, world_start_ms: int, world_end_ms: int
) -> list[Workflow]:
    rng = random.Random(config.seed * 7919 + 17)
    n = max(1, config.workflows)
    names = _workflow_names(n, rng)
    kinds = {k: (p, w) for k, p, w in _KINDS}
    chosen_kinds = [_KIND_CYCLE[(i + config.seed) % len(_KIND_CYCLE)] for i in range(n)]
    if n > ALWAYS_RUNNING_INDEX:
        # An hourly workflow whose runs take hours: RUNNING executions exist at any clock time.
        chosen_kinds[ALWAYS_RUNNING_INDEX] = "hourly"
    total_weight = sum(kinds[k][1] for k in chosen_kinds)
    span = world_end_ms - world_start_ms
    workflows: list[Workflow] = []
    for i, (name, kind) in enumerate(zip(names, chosen_kinds, strict=True)):
        period, weight = kinds[kind]
        rate = config.executions_per_day * weight / total_weight  # executions per day
        first_hour = rng.randint(0, 23)
        phase = (
            rng.randint(0, max(0, period // MINUTE_MS - 1)) * MINUTE_MS
            if period < DAY_MS
            else (first_hour * HOUR_MS + rng.choice((0, 5, 15, 30)) * MINUTE_MS)
        )
        active_hours, fanout, adhoc = 24, 1.0, 0.0
        if kind == "adhoc":
            adhoc = rate / 24 / 1.0
        elif kind == "daily":
            fanout = max(1.0, rate)
        else:
            base_fanout = 3.0 if kind == "burst" else 1.0
            fires_per_active_hour = HOUR_MS / period
            if period > HOUR_MS:
                fires_full_day = DAY_MS / period
                fanout = max(base_fanout, rate / fires_full_day)
            else:
                wanted_hours = rate / base_fanout / fires_per_active_hour
                active_hours = max(1, min(24, math.ceil(wanted_hours)))
                fanout = max(base_fanout, rate / (active_hours * fires_per_active_hour))
        if i == ALWAYS_RUNNING_INDEX:
            active_hours, fanout = 24, 1.0
        long_runner = i % 7 == ALWAYS_RUNNING_INDEX
        median = rng.lognormvariate(math.log(120_000), 0.9)
        if long_runner:
            median = rng.uniform(1.5, 4.0) * 3_600_000
        max_conc = rng.choice((1, 2, 3, 5)) if kind == "burst" else rng.choice((None, None, 10, 50))
        if long_runner and max_conc is not None and max_conc < 5:
            max_conc = 5
        # Versions switch at fixed instants inside the world span; version 1 predates it.
        n_versions = rng.choice((1, 2, 2, 3, 3, 4))
        created = world_start_ms - rng.randint(10, 400) * DAY_MS
        switch_points = sorted(rng.uniform(0.1, 0.9) for _ in range(n_versions - 1))
        versions: list[Version] = []
        description = rng.choice(_DESCRIPTIONS)
        required = REQUIRED_TYPES_BY_INDEX[i] if i < len(REQUIRED_TYPES_BY_INDEX) else ()
        tasks = generate_tasks(name, rng, required)
        for v in range(n_versions):
            if v == 0:
                active_from = created
            else:
                active_from = world_start_ms + int(span * switch_points[v - 1])
                add_unknown = i == 3 and v == n_versions - 1
                tasks = next_version_tasks(name, tasks, rng, add_unknown)
            versions.append(
                Version(
                    version=str(v + 1),
                    active_from_ms=active_from,
                    created_time=active_from - rng.randint(1, 48) * HOUR_MS,
                    description=description,
                    tasks=tasks,
                    hash=definition_hash(tasks, description),
                    abort_leaves=_leaf_indices(tasks, "abortWorkflow"),
                    skip_leaves=_leaf_indices(tasks, "skipTask"),
                )
            )
        if i == 3 and n_versions == 1:
            # Keep the unknown future task type present in the world even with one version.
            tasks = next_version_tasks(name, tasks, rng, True)
            v1 = versions[0]
            v1.tasks, v1.hash = tasks, definition_hash(tasks, description)
            v1.abort_leaves = _leaf_indices(tasks, "abortWorkflow")
            v1.skip_leaves = _leaf_indices(tasks, "skipTask")
        workflows.append(
            Workflow(
                index=i,
                external_id=name,
                description=description,
                data_set_id=rng.choice((None, 1000 + rng.randint(0, 50) * 17)),
                max_concurrent=max_conc,
                created_time=created,
                last_updated_time=max(v.created_time for v in versions),
                kind=kind,
                period_ms=period,
                phase_ms=phase,
                active_hours=active_hours,
                first_hour=first_hour,
                fanout_mean=fanout,
                adhoc_per_hour=adhoc,
                duration_median_ms=median,
                duration_sigma=rng.uniform(0.3, 0.8),
                p_fail=rng.choice((0.01, 0.03, 0.05, 0.08, 0.15)),
                p_cancel=0.01,
                p_timeout=0.002,
                retry_rows=i % 2 == 0,
                versions=versions,
                metadata_keys=tuple(
                    rng.sample(
                        (
                            "site",
                            "triggeredBy",
                            "owner",
                            "batchId",
                            "region",
                            "costCenter",
                            "pipeline",
                            "runReason",
                        ),
                        rng.randint(0, 6),
                    )
                ),
            )
        )
    return workflows
