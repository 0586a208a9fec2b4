"""Asset checks on the warehouse tables.

Data checks are SQL files in `warehouse/sql/checks/` that return the failing rows (none means
pass); their header names the asset they check. Two more checks read the ingest state: the
data is fresh, and rejected records are not piling up. All are blocking: the analytics views
are not rebuilt on a warehouse that fails them.
"""

import time
from dataclasses import dataclass
from importlib import resources
from typing import Any

import dagster as dg

from pipelines.resources import WarehouseResource
from warehouse.sqlfiles import sql_header
from warehouse.store import CHECKS_DUCKDB_MEMORY, Warehouse, duckdb_memory_limit
from workflow_analytics.ingest import LAST_RUN_KEY
from workflow_analytics.inspect import markdown_table

# Task clocks and execution clocks may differ a little; a few seconds are not an error.
TIME_TOLERANCE_MS = 5_000
# The nightly ingest must have succeeded within this many hours.
FRESHNESS_HOURS = 26.0
# A run may reject this many records, or this share of what it fetched, before the check fails.
REJECTED_ALLOWED = 10
REJECTED_ALLOWED_SHARE = 0.01


@dataclass(frozen=True)
class SqlCheck:
    name: str
    asset: str
    description: str
    sql: str


def sql_checks() -> list[SqlCheck]:
    folder = resources.files("warehouse").joinpath("sql", "checks")
    checks = []
    for entry in sorted(folder.iterdir(), key=lambda f: f.name):
        if not entry.name.endswith(".sql"):
            continue
        text = entry.read_text()
        checks.append(
            SqlCheck(
                sql_header(text, "check"),
                sql_header(text, "asset"),
                sql_header(text, "description"),
                text,
            )
        )
    return checks


def run_sql_check(wh: Warehouse, check: SqlCheck) -> dg.AssetCheckResult:
    params: dict[str, Any] = {}
    if "$tolerance_ms" in check.sql:
        params["tolerance_ms"] = TIME_TOLERANCE_MS
    cursor = wh.connection.execute(check.sql, params)
    columns = [d[0] for d in cursor.description]
    rows = cursor.fetchmany(11)
    failing = [dict(zip(columns, r, strict=True)) for r in rows[:10]]
    metadata: dict[str, Any] = {"failing_rows": len(rows) if len(rows) <= 10 else "more than 10"}
    if failing:
        metadata["examples"] = dg.MetadataValue.md(markdown_table(failing))
    return dg.AssetCheckResult(passed=not rows, metadata=metadata)


def _sql_check_def(check: SqlCheck) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=check.asset, name=check.name, description=check.description, blocking=True
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with Warehouse(
            warehouse.path(),
            read_only=True,
            memory_limit=duckdb_memory_limit(CHECKS_DUCKDB_MEMORY),
        ) as wh:
            return run_sql_check(wh, check)

    return _check


def _last_runs(warehouse: WarehouseResource) -> dict[str, dict[str, Any]]:
    """The record of the last incremental ingest of each CDF project in the warehouse."""
    path = warehouse.path()
    if not (path / "workflows.duckdb").exists():
        return {}
    with Warehouse(path, read_only=True) as wh:
        values = wh.read_state_all_projects(LAST_RUN_KEY)
    return {project: v for project, v in values.items() if isinstance(v, dict)}


@dg.asset_check(
    asset="workflow_executions",
    blocking=True,
    description=f"The last incremental ingest of every project finished within "
    f"{FRESHNESS_HOURS} h.",
)
def ingest_is_fresh(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    runs = {p: r for p, r in _last_runs(warehouse).items() if "finished_at_epoch_s" in r}
    if not runs:
        return dg.AssetCheckResult(passed=False, metadata={"reason": "no ingest recorded yet"})
    ages = {
        p: round((time.time() - float(r["finished_at_epoch_s"])) / 3600, 2) for p, r in runs.items()
    }
    # A project that stopped loading must show even when the others are fresh.
    stalest = max(ages, key=lambda p: ages[p])
    return dg.AssetCheckResult(
        passed=ages[stalest] <= FRESHNESS_HOURS,
        metadata={
            "hours_since_last_ingest": ages[stalest],
            "stalest_project": stalest,
            "hours_by_project": dg.MetadataValue.json(ages),
        },
    )


@dg.asset_check(
    asset="rejected_records",
    blocking=True,
    description="The last ingest of each project rejected no more than 10 records or 1% of "
    "what it fetched, whichever is larger.",
)
def rejected_not_growing(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    runs = _last_runs(warehouse) or {"": {}}
    worst: tuple[float, str, int, int, int] | None = None
    for project, last in runs.items():
        rejected = int(last.get("rejected", 0))
        fetched = int(last.get("details_fetched", 0))
        allowed = max(REJECTED_ALLOWED, int(fetched * REJECTED_ALLOWED_SHARE))
        if worst is None or rejected / allowed > worst[0]:
            worst = (rejected / allowed, project, rejected, fetched, allowed)
    assert worst is not None
    _, project, rejected, fetched, allowed = worst
    return dg.AssetCheckResult(
        passed=rejected <= allowed,
        metadata={
            "rejected_last_run": rejected,
            "fetched_last_run": fetched,
            "allowed": allowed,
            "project": project,
        },
    )


SQL_CHECKS = [_sql_check_def(c) for c in sql_checks()]
ALL_CHECKS = [*SQL_CHECKS, ingest_is_fresh, rejected_not_growing]
