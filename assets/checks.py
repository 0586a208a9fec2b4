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

The checks run as two steps: one over the ingest's tables (after the ingest, before the
analytics it guards) and one over the analytics tables. In a run whose ingest wrote the tables,
the data checks look at the rows written since the checks of the last run whose blocking checks
passed (the analytics step records when those checks started, as it only runs then): a fault
stays in scope until a run passes, a source warning is reported by the run that wrote its row,
and the nightly cost follows what is new. Run on their own they look at everything.
"""

import contextlib
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from assets.common import (
    CHECKED_SINCE_KEY,
    INGEST_CHECKS_STEP,
    ingest_wrote_in_this_run,
    markdown_table,
    materialized_in_this_run,
)
from assets.resources import WarehouseResource
from ingest.executions import LAST_RUN_KEY
from warehouse.consistency import parquet_mismatches
from warehouse.data_checks import DataCheck, data_checks, run_data_check
from warehouse.errors import error_line
from warehouse.schema import REJECTED_RECORDS, WORKFLOW_EXECUTIONS
from warehouse.store import CHECKS_DUCKDB_MEMORY, DATABASE_FILE, Warehouse

# The last ingest of every project must have finished within this many hours.
FRESHNESS_HOURS = 26.0
# A run may reject this many records, or this share of what it fetched, before the check warns.
REJECTED_ALLOWED = 10
REJECTED_ALLOWED_SHARE = 0.01
EXAMPLES = 10

WARN = dg.AssetCheckSeverity.WARN
ERROR = dg.AssetCheckSeverity.ERROR
SEVERITIES = {"warn": WARN, "error": ERROR}


def sql_result(wh: Warehouse, check: DataCheck, since: datetime | None) -> dg.AssetCheckResult:
    found = run_data_check(wh.connection, check, since=since, examples=EXAMPLES)
    return _result(
        check.asset,
        check.name,
        SEVERITIES[check.severity],
        passed=found.passed,
        summary=check.summary.format(count=f"{found.count:,}", max_ms=f"{found.worst or 0:,}"),
        metadata={
            "failing_rows": found.count,
            **({"worst": found.worst} if check.measure else {}),
            "scope": _scope(since),
        },
        examples=found.examples,
    )


def _scope(since: datetime | None) -> str:
    if since is None:
        return "the whole warehouse"
    return f"the rows written since {since.isoformat(timespec='seconds')}"


def _result(
    asset: str,
    name: str,
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
    return dg.AssetCheckResult(
        asset_key=asset, check_name=name, passed=passed, severity=severity, metadata=meta
    )


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


def _sql_results(check: DataCheck) -> dict[str, str]:
    returns = check.returns or "the failing rows"
    results = {"failing_rows": f"How many rows the query returned ({returns}); 0 passes."}
    if check.measure:
        results["worst"] = f"The largest {check.measure} among them."
    results["scope"] = (
        "What was checked: in a run whose ingest wrote the tables, the rows written since the "
        "checks of the last run whose blocking checks passed; the whole warehouse when the "
        "check runs on its own."
    )
    results["summary"] = SUMMARY_MEANING
    results["examples"] = f"Up to {EXAMPLES} of the rows the query returned."
    return results


def _sql_spec(check: DataCheck) -> dg.AssetCheckSpec:
    severity = SEVERITIES[check.severity]
    return dg.AssetCheckSpec(
        check.name,
        asset=check.asset,
        description=f"{check.description} Severity {severity.value}: {check.why}",
        # Only a failed error check stops the analytics; warnings are reported beside them.
        blocking=severity == ERROR,
        metadata=check_definition_metadata(severity, _sql_results(check), check.file),
    )


PARQUET_CHECK = dg.AssetCheckSpec(
    "parquet_matches_duckdb",
    asset=WORKFLOW_EXECUTIONS.name,
    blocking=True,
    description="Every Parquet partition not waiting for a rewrite holds exactly DuckDB's row "
    "count for its table and UTC day. Severity ERROR: the Parquet tree is this pipeline's output; "
    "a difference means its copy is wrong (a partition rewritten or removed by hand, rows "
    "written to DuckDB outside the ingest, a failed flush).",
    metadata=check_definition_metadata(
        ERROR,
        {
            "partitions_compared": "Parquet partitions compared with DuckDB (every table and day).",
            "footers_read": "Parquet files whose footer was read: the others had the size and "
            "version (modification time, or ETag on S3) the flush recorded when it wrote them.",
            "partitions_differing": "Partitions whose row count differs from DuckDB's; 0 passes.",
            "summary": SUMMARY_MEANING,
            "examples": f"Up to {EXAMPLES} differing partitions: table, UTC day, both row counts.",
        },
    ),
)


def parquet_result(wh: Warehouse) -> dg.AssetCheckResult:
    comparison = parquet_mismatches(wh)
    mismatches = comparison.mismatches
    return _result(
        WORKFLOW_EXECUTIONS.name,
        PARQUET_CHECK.name,
        ERROR,
        passed=not mismatches,
        summary=f"{len(mismatches):,} Parquet partitions differ from DuckDB",
        metadata={
            "partitions_compared": comparison.compared,
            "partitions_differing": len(mismatches),
            "footers_read": comparison.footers_read,
        },
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


def _last_runs(wh: Warehouse) -> dict[str, dict[str, Any]]:
    """The record of the last incremental ingest of each CDF project in the warehouse."""
    values = wh.read_state_all_projects(LAST_RUN_KEY)
    return {project: v for project, v in values.items() if isinstance(v, dict)}


FRESH_CHECK = dg.AssetCheckSpec(
    "ingest_is_fresh",
    asset=WORKFLOW_EXECUTIONS.name,
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


def fresh_result(last_runs: dict[str, dict[str, Any]]) -> dg.AssetCheckResult:
    runs = {p: r for p, r in last_runs.items() if "finished_at_epoch_s" in r}
    asset, name = WORKFLOW_EXECUTIONS.name, FRESH_CHECK.name
    if not runs:
        return _result(
            asset, name, WARN, passed=False, summary="no ingest recorded yet", metadata={}
        )
    ages = {
        p: round((time.time() - float(r["finished_at_epoch_s"])) / 3600, 2) for p, r in runs.items()
    }
    # A project that stopped loading must show even when the others are fresh.
    stalest = max(ages, key=lambda p: ages[p])
    return _result(
        asset,
        name,
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


REJECTED_CHECK = dg.AssetCheckSpec(
    "rejected_not_growing",
    asset=REJECTED_RECORDS.name,
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


def rejected_result(last_runs: dict[str, dict[str, Any]]) -> dg.AssetCheckResult:
    worst: tuple[float, str, int, int, int] | None = None
    for project, last in (last_runs or {"": {}}).items():
        rejected = int(last.get("rejected", 0))
        fetched = int(last.get("details_fetched", 0))
        allowed = max(REJECTED_ALLOWED, int(fetched * REJECTED_ALLOWED_SHARE))
        if worst is None or rejected / allowed > worst[0]:
            worst = (rejected / allowed, project, rejected, fetched, allowed)
    assert worst is not None
    _, project, rejected, fetched, allowed = worst
    return _result(
        REJECTED_RECORDS.name,
        REJECTED_CHECK.name,
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


_SQL = {check.name: check for check in data_checks()}
_ANALYTICS_ASSETS = ("critical_paths", "execution_facts")
_ANALYTICS_SPECS = [_sql_spec(c) for c in _SQL.values() if c.asset in _ANALYTICS_ASSETS]
_INGEST_SPECS = [
    *(_sql_spec(c) for c in _SQL.values() if c.asset not in _ANALYTICS_ASSETS),
    PARQUET_CHECK,
    FRESH_CHECK,
    REJECTED_CHECK,
]
_SPECS = {spec.name: spec for spec in [*_INGEST_SPECS, *_ANALYTICS_SPECS]}
CHECK_NAMES = sorted(_SPECS)
# Blocking is what ERROR means here (see the module doc): the severity follows from the spec.
BLOCKING_INGEST_CHECKS = frozenset(spec.name for spec in _INGEST_SPECS if spec.blocking)


def _failed(name: str, summary: str) -> dg.AssetCheckResult:
    """A failed result of the named check, with its own asset and severity."""
    spec = _SPECS[name]
    severity = ERROR if spec.blocking else WARN
    asset = spec.asset_key.to_user_string()
    return _result(asset, name, severity, passed=False, summary=summary, metadata={})


def _one(name: str, wh: Warehouse | None, since: datetime | None, last_runs: Any) -> Any:
    if name == FRESH_CHECK.name:
        return fresh_result(last_runs)
    if name == REJECTED_CHECK.name:
        return rejected_result(last_runs)
    if wh is None:
        return _failed(name, "the warehouse has no database yet")
    if name == PARQUET_CHECK.name:
        return parquet_result(wh)
    return sql_result(wh, _SQL[name], since)


def evaluate_checks(
    warehouse: WarehouseResource, names: list[str], *, scoped: bool = False
) -> Iterator[dg.AssetCheckResult]:
    """The results of the named checks, in one read-only connection. ``scoped``: the data checks
    look only at the rows stamped since the last run whose blocking checks passed (the whole
    warehouse when no run has recorded that yet). A check that cannot run (DuckDB's error, a
    memory cap) fails alone, with its error as the summary: the others still report."""
    exists = (warehouse.path() / DATABASE_FILE).exists()
    with _read_only(warehouse) if exists else contextlib.nullcontext() as wh:
        last_runs = _last_runs(wh) if wh is not None else {}
        since = _checked_since(wh) if scoped and wh is not None else None
        for name in names:
            try:
                yield _one(name, wh, since, last_runs)
            except Exception as exc:  # one check's failure is its own result
                error = error_line(exc)
                yield _failed(name, f"the check could not run: {error}")


def _checked_since(wh: Warehouse) -> datetime | None:
    value = wh.read_state(CHECKED_SINCE_KEY)
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) else None


def _read_only(warehouse: WarehouseResource) -> AbstractContextManager[Warehouse]:
    return warehouse.open(read_only=True, memory_limit=CHECKS_DUCKDB_MEMORY)


def _selected(context: dg.AssetCheckExecutionContext) -> list[str]:
    keys = context.selected_asset_check_keys
    return sorted(key.name for key in keys)


def _rebuilt_whole(context: dg.AssetCheckExecutionContext) -> bool:
    """This run's analytics step rebuilt a checked table whole (first build, changed definition,
    ``--full-refresh``): its checks then look at every row."""
    for asset in _ANALYTICS_ASSETS:
        event = materialized_in_this_run(context, asset)
        build = event.asset_materialization.metadata.get("build") if event else None
        if getattr(build, "value", build) == "full":
            return True
    return False


@dg.multi_asset_check(
    name=INGEST_CHECKS_STEP,
    specs=_INGEST_SPECS,
    can_subset=True,
    description="The checks on the ingest's tables, in one step after the ingest.",
)
def ingest_table_checks(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.AssetCheckResult]:
    scoped = ingest_wrote_in_this_run(context)
    yield from evaluate_checks(warehouse, _selected(context), scoped=scoped)


@dg.multi_asset_check(
    name="analytics_table_checks",
    specs=_ANALYTICS_SPECS,
    can_subset=True,
    description="The checks on the analytics tables, in one step after their build.",
)
def analytics_table_checks(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.AssetCheckResult]:
    scoped = ingest_wrote_in_this_run(context) and not _rebuilt_whole(context)
    yield from evaluate_checks(warehouse, _selected(context), scoped=scoped)


ALL_CHECKS = [ingest_table_checks, analytics_table_checks]
