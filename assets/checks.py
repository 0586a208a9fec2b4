"""Asset checks on the warehouse tables, in two kinds.

- **error** (blocking): checks on what this pipeline wrote. Keys are unique, every task row has
  its execution, the Parquet tree holds DuckDB's rows. A failure means our write went wrong: the
  run fails and the analytics views are not rebuilt on top of it.
- **warn** (not blocking): checks on what the source sent, and operational alarms. Clock skew
  between CDF's services, tasks outside their execution's window, times ahead of the clock,
  terminal runs without an end time, rejected records piling up, an ingest that is not fresh.
  The rows are stored as sent (the views document how they treat them); the check reports a
  count and example rows in Dagster and one line in the command line's summary, and the run
  succeeds. Failing it would fail every night after, for a record that stays.

Data checks are SQL files in `warehouse/sql/checks/` that return the failing rows (none means
pass); their header names the asset, the severity, why, and the one-line summary. The table of
every check and why it has its severity is in docs/reliability.md.
"""

import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import dagster as dg

from assets.common import markdown_table
from assets.resources import WarehouseResource
from ingest.executions import LAST_RUN_KEY
from warehouse.consistency import parquet_mismatches
from warehouse.sqlfiles import sql_files, sql_header
from warehouse.store import CHECKS_DUCKDB_MEMORY, DATABASE_FILE, Warehouse

# Our clock and CDF's may differ a little: only times further ahead than this are "future".
TIME_TOLERANCE_MS = 5_000
# The last ingest of every project must have finished within this many hours.
FRESHNESS_HOURS = 26.0
# A run may reject this many records, or this share of what it fetched, before the check warns.
REJECTED_ALLOWED = 10
REJECTED_ALLOWED_SHARE = 0.01
EXAMPLES = 10

WARN = dg.AssetCheckSeverity.WARN
ERROR = dg.AssetCheckSeverity.ERROR
SEVERITIES = {"warn": WARN, "error": ERROR}


@dataclass(frozen=True)
class SqlCheck:
    name: str
    asset: str
    description: str
    sql: str
    severity: dg.AssetCheckSeverity
    why: str
    summary: str
    measure: str
    file: str = ""
    returns: str = ""


def sql_checks() -> list[SqlCheck]:
    checks = []
    for name, text in sql_files("checks"):
        severity = sql_header(text, "severity").lower()
        if severity not in SEVERITIES:
            raise ValueError(f"warehouse/sql/checks/{name}: severity must be warn or error")
        checks.append(
            SqlCheck(
                name=sql_header(text, "check"),
                asset=sql_header(text, "asset"),
                description=sql_header(text, "description"),
                sql=text,
                severity=SEVERITIES[severity],
                why=sql_header(text, "why"),
                summary=sql_header(text, "summary") or "{count} failing rows",
                measure=sql_header(text, "measure"),
                file=f"warehouse/sql/checks/{name}",
                returns=sql_header(text, "returns").rstrip("."),
            )
        )
    return checks


def run_sql_check(wh: Warehouse, check: SqlCheck) -> dg.AssetCheckResult:
    params: dict[str, Any] = {}
    if "$tolerance_ms" in check.sql:
        params["tolerance_ms"] = TIME_TOLERANCE_MS
    # One pass: the examples, with the total count (and the worst measure) on every row.
    worst = f"max({check.measure}) OVER ()" if check.measure else "NULL"
    query = (
        f"SELECT *, count(*) OVER () AS __count, {worst} AS __worst "
        f"FROM ({check.sql}\n) LIMIT {EXAMPLES}"
    )
    cursor = wh.connection.execute(query, params)
    columns = [d[0] for d in cursor.description]
    rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    count = int(rows[0]["__count"]) if rows else 0
    worst_value = rows[0]["__worst"] if rows else None
    examples = [{k: v for k, v in r.items() if not k.startswith("__")} for r in rows]
    return _result(
        check.severity,
        passed=not rows,
        summary=check.summary.format(count=f"{count:,}", max_ms=f"{worst_value or 0:,}"),
        metadata={"failing_rows": count, **({"worst": worst_value} if check.measure else {})},
        examples=examples,
    )


def _result(
    severity: dg.AssetCheckSeverity,
    *,
    passed: bool,
    summary: str,
    metadata: dict[str, Any],
    examples: list[dict[str, Any]] | None = None,
) -> dg.AssetCheckResult:
    """A check result; a failing one carries a one-line `summary` (the command line prints it)."""
    meta: dict[str, Any] = dict(metadata)
    if not passed:
        meta["summary"] = summary
    if examples:
        meta["examples"] = dg.MetadataValue.md(markdown_table(examples))
    return dg.AssetCheckResult(passed=passed, severity=severity, metadata=meta)


SUMMARY_MEANING = "One line saying what failed (failing results only; the command line prints it)."


def check_definition_metadata(
    severity: dg.AssetCheckSeverity, results: dict[str, str], sql_file: str = ""
) -> dict[str, Any]:
    """What the UI shows on the check itself: its severity, its query, and what each value of its
    results means."""
    rows = [{"metadata": key, "meaning": meaning} for key, meaning in results.items()]
    return {
        "severity": severity.value,
        **({"sql_file": sql_file} if sql_file else {}),
        "result_metadata": dg.MetadataValue.md(markdown_table(rows)),
    }


def _sql_results(check: SqlCheck) -> dict[str, str]:
    returns = check.returns or "the failing rows"
    results = {"failing_rows": f"How many rows the query returned ({returns}); 0 passes."}
    if check.measure:
        results["worst"] = f"The largest {check.measure} among them."
    results["summary"] = SUMMARY_MEANING
    results["examples"] = f"Up to {EXAMPLES} of the rows the query returned."
    return results


def _read_only(warehouse: WarehouseResource) -> AbstractContextManager[Warehouse]:
    return warehouse.open(read_only=True, memory_limit=CHECKS_DUCKDB_MEMORY)


def _sql_check_def(check: SqlCheck) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=check.asset,
        name=check.name,
        description=f"{check.description} Severity {check.severity.value}: {check.why}",
        # Only a failed error check stops the views; warnings are reported beside them.
        blocking=check.severity == ERROR,
        metadata=check_definition_metadata(check.severity, _sql_results(check), check.file),
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with _read_only(warehouse) as wh:
            return run_sql_check(wh, check)

    return _check


@dg.asset_check(
    asset="workflow_executions",
    blocking=True,
    description="Every Parquet partition not waiting for a rewrite holds exactly DuckDB's row "
    "count for its table and UTC day. Severity ERROR: the Parquet tree is this pipeline's output; "
    "a difference means its copy is wrong (a partition rewritten or removed by hand, rows "
    "written to DuckDB outside the ingest, a failed flush).",
    metadata=check_definition_metadata(
        ERROR,
        {
            "partitions_compared": "Parquet partitions compared with DuckDB (every table and day).",
            "partitions_differing": "Partitions whose row count differs from DuckDB's; 0 passes.",
            "summary": SUMMARY_MEANING,
            "examples": f"Up to {EXAMPLES} differing partitions: table, UTC day, both row counts.",
        },
    ),
)
def parquet_matches_duckdb(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with _read_only(warehouse) as wh:
        mismatches, compared = parquet_mismatches(wh)
    return _result(
        ERROR,
        passed=not mismatches,
        summary=f"{len(mismatches):,} Parquet partitions differ from DuckDB",
        metadata={"partitions_compared": compared, "partitions_differing": len(mismatches)},
        examples=[
            {
                "table": m.table,
                "day": m.day.isoformat(),
                "duckdb_rows": m.duckdb_rows,
                "parquet_rows": m.parquet_rows,
            }
            for m in mismatches[:EXAMPLES]
        ],
    )


def _last_runs(warehouse: WarehouseResource) -> dict[str, dict[str, Any]]:
    """The record of the last incremental ingest of each CDF project in the warehouse."""
    if not (warehouse.path() / DATABASE_FILE).exists():
        return {}
    with warehouse.open(read_only=True) as wh:
        values = wh.read_state_all_projects(LAST_RUN_KEY)
    return {project: v for project, v in values.items() if isinstance(v, dict)}


@dg.asset_check(
    asset="workflow_executions",
    blocking=False,
    description=f"The last incremental ingest of every project finished within "
    f"{FRESHNESS_HOURS} h. Severity WARN: an operational alarm, not a fault in the data. Inside "
    "the nightly job it sees the run that just finished, so it warns when one project of a "
    "shared warehouse stopped loading; outside a run (the UI's 'Execute checks', a sensor) it "
    "says the schedule stopped.",
    metadata=check_definition_metadata(
        WARN,
        {
            "hours_since_last_ingest": "Hours since the stalest project's last ingest finished.",
            "stalest_project": "The CDF project whose last ingest is the oldest.",
            "hours_by_project": "Hours since the last finished ingest, per CDF project.",
            "summary": SUMMARY_MEANING,
        },
    ),
)
def ingest_is_fresh(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    runs = {p: r for p, r in _last_runs(warehouse).items() if "finished_at_epoch_s" in r}
    if not runs:
        return _result(WARN, passed=False, summary="no ingest recorded yet", metadata={})
    ages = {
        p: round((time.time() - float(r["finished_at_epoch_s"])) / 3600, 2) for p, r in runs.items()
    }
    # A project that stopped loading must show even when the others are fresh.
    stalest = max(ages, key=lambda p: ages[p])
    return _result(
        WARN,
        passed=ages[stalest] <= FRESHNESS_HOURS,
        summary=f"project {stalest!r} last loaded {ages[stalest]} h ago "
        f"(more than {FRESHNESS_HOURS} h)",
        metadata={
            "hours_since_last_ingest": ages[stalest],
            "stalest_project": stalest,
            "hours_by_project": dg.MetadataValue.json(ages),
        },
    )


@dg.asset_check(
    asset="rejected_records",
    blocking=False,
    description="The last ingest of each project rejected no more than 10 records or 1% of "
    "what it fetched, whichever is larger. Severity WARN: rejections are what the source sent "
    "that cannot be stored at all; each is kept in rejected_records with its reason, and the "
    "rest of the run is good.",
    metadata=check_definition_metadata(
        WARN,
        {
            "rejected_last_run": "Records the last ingest of the project below rejected.",
            "fetched_last_run": "Details that ingest fetched.",
            "allowed": "Rejections allowed for it: 10, or 1% of what it fetched if larger.",
            "project": "The CDF project closest to (or over) its allowance.",
            "summary": SUMMARY_MEANING,
        },
    ),
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
    return _result(
        WARN,
        passed=rejected <= allowed,
        summary=f"the last ingest of {project!r} rejected {rejected:,} of {fetched:,} records "
        f"(more than {allowed:,}; reasons in rejected_records)",
        metadata={
            "rejected_last_run": rejected,
            "fetched_last_run": fetched,
            "allowed": allowed,
            "project": project,
        },
    )


SQL_CHECKS = [_sql_check_def(c) for c in sql_checks()]
ALL_CHECKS = [*SQL_CHECKS, parquet_matches_duckdb, ingest_is_fresh, rejected_not_growing]
