"""Charts and tables over the analytics views, and a self-contained static HTML report.

The notebook (``notebooks/analytics.py``) and ``workflow-analytics report`` use the same
functions here, so both show the same numbers. Queries live in ``warehouse/sql/report/*.sql``;
every one takes the same filters (project, workflow, date range) as named parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import duckdb
import polars as pl
import typer

from warehouse.layout import DATABASE_FILE, missing_warehouse
from warehouse.sla_targets import SlaTargetsError, install_sla
from warehouse.sqlfiles import sql_file, sql_names
from workflow_analytics.report_charts import (
    all_charts,
    chart_critical_paths,
    chart_durations,
    chart_failure_reasons,
    chart_sla_breaches,
    chart_success_rate,
)

TOP_WORKFLOWS = 8
TOP_ROWS = 15
# Small multiples of the workflows with the most failures; SLA breaches stacked by workflow.
SUCCESS_PANELS = 6
SLA_WORKFLOWS = 6


__all__ = [
    "AnalyticsData",
    "Filters",
    "ReportError",
    "all_charts",
    "build_report",
    "chart_critical_paths",
    "chart_durations",
    "chart_failure_reasons",
    "chart_sla_breaches",
    "chart_success_rate",
    "filter_options",
    "load_analytics",
    "refresh_views",
    "render_html",
]


class ReportError(RuntimeError):
    """The report cannot be built (no warehouse, unreadable targets, ...)."""


class UsageError(ReportError):
    """What was asked cannot be answered: no warehouse there, filters that match nothing."""


@dataclass(frozen=True)
class Filters:
    """Which executions every section shows; ``None`` means all. Dates are UTC days of
    ``created_time``, both ends included."""

    project: str | None = None
    workflow: str | None = None
    since: date | None = None
    until: date | None = None

    def params(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "workflow": self.workflow,
            "since": self.since,
            "until": self.until,
        }

    def describe(self) -> str:
        """The filters in words, empty when nothing is filtered."""
        parts = []
        if self.project:
            parts.append(f"project {self.project}")
        if self.workflow:
            parts.append(f"workflow {self.workflow}")
        if self.since or self.until:
            first = self.since.isoformat() if self.since else "the first day"
            last = self.until.isoformat() if self.until else "the last day"
            parts.append(f"executions created {first} to {last} (UTC)")
        return ", ".join(parts)


ALL = Filters()
_PARAMETER = re.compile(r"\$([a-z_]+)")


def report_sql(name: str) -> str:
    """The text of ``warehouse/sql/report/<name>.sql``."""
    return sql_file("report", name)


def report_query_names() -> list[str]:
    """Every query behind the report and the notebook, by file name."""
    return sql_names("report")


def run_report_query(
    con: duckdb.DuckDBPyConnection, name: str, values: dict[str, Any]
) -> pl.DataFrame:
    """Run one report query, binding the named parameters its text uses from ``values``."""
    text = report_sql(name)
    # Comments name parameters too; only the statement's own are bound.
    statement = "\n".join(line.split("--", 1)[0] for line in text.splitlines())
    used = set(_PARAMETER.findall(statement))
    return con.sql(text, params={k: v for k, v in values.items() if k in used}).pl()


@dataclass
class AnalyticsData:
    """Everything the charts and tables need, read once from the warehouse."""

    warehouse_dir: Path
    generated_at: datetime
    success_by_day: pl.DataFrame
    success_by_workflow_week: pl.DataFrame
    durations: pl.DataFrame
    workflow_summary: pl.DataFrame
    execution_reasons: pl.DataFrame
    task_reasons: pl.DataFrame
    slowest_critical_paths: pl.DataFrame
    task_hot_spots: pl.DataFrame
    flaky_tasks: pl.DataFrame
    mttr_by_workflow: pl.DataFrame
    stuck_runs: pl.DataFrame
    capacity: pl.DataFrame
    sla_by_workflow_day: pl.DataFrame | None = None
    latest_sla_breaches: pl.DataFrame | None = None
    trigger_summary: pl.DataFrame | None = None
    latest_trigger_misses: pl.DataFrame | None = None
    notes: list[str] = field(default_factory=list)
    filters: Filters = ALL

    @property
    def total_executions(self) -> int:
        frame = self.success_by_day
        return int(frame["executions"].sum()) if frame.height else 0


def _prepare(directory: Path, sla_targets: Path | None, notes: list[str]) -> bool:
    """Bring the analytics models up to date (an incremental build: nothing to do when the
    nightly job already ran) and load the SLA targets; returns whether the SLA views are usable.

    Needs a writable connection for a moment. When an ingest holds the file, the report goes on
    read-only with the models as the file already has them.
    """
    from ingest.settings import WarehouseSettings
    from warehouse.analytics.build import build_models
    from warehouse.errors import error_line, is_lock_conflict
    from warehouse.lock import WarehouseBusyError, WarehouseUnwritableError, WriterLock
    from warehouse.store import ANALYTICS_DUCKDB_MEMORY, Warehouse

    settings = WarehouseSettings.load()
    try:
        # The writer lock, not waited for: a run or a backup holding it keeps the file as it is.
        with (
            WriterLock(directory, timeout_s=0),
            Warehouse(directory, memory_limit=settings.memory_limit(ANALYTICS_DUCKDB_MEMORY)) as wh,
        ):
            wh.ensure_schema()
            install_sla(wh.connection, sla_targets or settings.sla_targets_file)
            build_models(wh.connection)
        return True
    except SlaTargetsError as exc:
        raise ReportError(str(exc)) from None
    except (WarehouseBusyError, duckdb.IOException, WarehouseUnwritableError, OSError) as exc:
        # Another process holds the file, or this user may only read it (an analyst's copy):
        # the report goes on read-only with the models as the file has them, and says why.
        if isinstance(exc, WarehouseBusyError) or is_lock_conflict(exc):
            notes.append(
                "The warehouse was busy: the analytics and SLA targets were not refreshed."
            )
        else:
            notes.append(
                f"The warehouse could not be opened for writing ({error_line(exc)}): the "
                "analytics and SLA targets were not refreshed."
            )
        return False


def _has_view(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the analytics model ``name`` exists (a view, or an incremental model's table)."""
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_name = ?",
        [name],
    ).fetchall()
    return bool(found[0][0])


def _database(warehouse_dir: Path) -> Path:
    if problem := missing_warehouse(warehouse_dir):
        raise UsageError(problem)
    return Path(warehouse_dir) / DATABASE_FILE


def check_filters(warehouse_dir: Path, filters: Filters) -> None:
    """For the command line: a range that ends before it starts, or a project or workflow the
    warehouse does not hold, is a typo, not an empty report (the notebook's filters choose from
    what the warehouse holds)."""
    if filters.since and filters.until and filters.since > filters.until:
        raise UsageError(f"--since {filters.since} is after --until {filters.until}")
    if not (filters.project or filters.workflow):
        return
    try:
        options = filter_options(warehouse_dir)
    except UsageError:
        raise
    except ReportError:  # no analytics models yet: the report builds them, and shows what is
        return
    for column, value, noun in (
        ("cdf_project", filters.project, "project"),
        ("workflow_external_id", filters.workflow, "workflow"),
    ):
        known = sorted(set(options[column].to_list()))
        if value and value not in known:
            shown = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "")
            raise UsageError(f"no {noun} {value!r} in the warehouse (it has: {shown or 'none'})")


def _connect(database: Path) -> duckdb.DuckDBPyConnection:
    from warehouse.dbfile import connect
    from warehouse.errors import BEING_WRITTEN, is_lock_conflict

    try:
        con = connect(database, read_only=True, memory_limit=None)
    except duckdb.IOException as exc:
        if not is_lock_conflict(exc):
            raise
        raise ReportError(BEING_WRITTEN) from None
    if not _has_view(con, "execution_facts"):
        con.close()
        raise ReportError(f"{database} has no analytics views; open it once with refresh")
    return con


def refresh_views(warehouse_dir: Path, *, sla_targets: Path | None = None) -> list[str]:
    """(Re)create the views and reload the SLA targets; returns notes for the reader."""
    notes: list[str] = []
    _prepare(_database(warehouse_dir).parent, sla_targets, notes)
    return notes


def filter_options(warehouse_dir: Path) -> pl.DataFrame:
    """Each project's workflows with their first and last UTC day: what filters choose from."""
    con = _connect(_database(warehouse_dir))
    try:
        return run_report_query(con, "filter_options", {})
    finally:
        con.close()


def load_analytics(
    warehouse_dir: Path,
    *,
    sla_targets: Path | None = None,
    refresh: bool = True,
    filters: Filters = ALL,
) -> AnalyticsData:
    """Read the analytics views of the warehouse in ``warehouse_dir``, narrowed by ``filters``.

    ``refresh`` (re)creates the views and reloads the SLA targets file first (``sla_targets``,
    else ``$SLA_TARGETS_FILE``, else ``config/sla_targets.csv``).
    """
    database = _database(warehouse_dir)
    notes = refresh_views(warehouse_dir, sla_targets=sla_targets) if refresh else []
    con = _connect(database)
    base = filters.params()

    def frame(name: str, **extra: Any) -> pl.DataFrame:
        return run_report_query(con, name, {**base, **extra})

    try:
        data = AnalyticsData(
            warehouse_dir=Path(warehouse_dir),
            generated_at=datetime.now(UTC),
            success_by_day=frame("success_by_day"),
            success_by_workflow_week=frame("success_by_workflow_week", top=SUCCESS_PANELS),
            durations=frame("durations", top=TOP_WORKFLOWS),
            workflow_summary=frame("workflow_summary"),
            execution_reasons=frame("top_failure_reasons", source="execution", top=TOP_ROWS),
            task_reasons=frame("top_failure_reasons", source="task", top=TOP_ROWS),
            slowest_critical_paths=frame("slowest_critical_paths", top=TOP_ROWS),
            task_hot_spots=frame("task_hot_spots", top=TOP_ROWS),
            flaky_tasks=frame("flaky_tasks", top=TOP_ROWS),
            mttr_by_workflow=frame("mttr_by_workflow"),
            stuck_runs=frame("stuck_runs"),
            capacity=frame("capacity"),
            notes=notes,
            filters=filters,
        )
        if _has_view(con, "sla_breaches_daily"):
            data.sla_by_workflow_day = frame("sla_by_workflow_day", top=SLA_WORKFLOWS)
            data.latest_sla_breaches = frame("latest_sla_breaches", top=TOP_ROWS)
        else:
            notes.append("No SLA views in this warehouse yet: SLA breaches are not shown.")
        if _has_view(con, "trigger_fire_checks"):
            data.trigger_summary = frame("trigger_summary")
            data.latest_trigger_misses = frame("latest_trigger_misses", top=TOP_ROWS)
    finally:
        con.close()
    return data


def render_html(data: AnalyticsData) -> str:
    """The whole report as one HTML document (images inline, no external references)."""
    from workflow_analytics.report_html import render

    return render(data)


def build_report(warehouse_dir: Path, output: Path, filters: Filters = ALL) -> Path:
    """Write the static HTML report for the warehouse in ``warehouse_dir`` to ``output``."""
    data = load_analytics(Path(warehouse_dir), filters=filters)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.is_dir():
        raise UsageError(f"--output {output} is a directory; name the HTML file to write")
    temporary = output.with_name(output.name + ".tmp")
    temporary.write_text(render_html(data), encoding="utf-8")
    # Readers never see a half-written file.
    temporary.replace(output)
    return output


def _day(value: str) -> date:
    """A ``--since``/``--until`` day; an error names what is wrong (a month 13, the format)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise typer.BadParameter(f"{value} is not a day written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value} is not a day: {exc}") from None


def report(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="HTML file to write (default: WAREHOUSE_DIR/report.html)."
        ),
    ] = None,
    project: Annotated[str | None, typer.Option(help="Only this CDF project's executions.")] = None,
    workflow: Annotated[str | None, typer.Option(help="Only this workflow's executions.")] = None,
    since: Annotated[
        date | None,
        typer.Option(
            parser=_day, metavar="YYYY-MM-DD", help="First UTC day (of created_time) to include."
        ),
    ] = None,
    until: Annotated[
        date | None,
        typer.Option(
            parser=_day, metavar="YYYY-MM-DD", help="Last UTC day (of created_time) to include."
        ),
    ] = None,
) -> None:
    """Write a self-contained static HTML report of the warehouse's analytics.

    The file needs no network: open it offline, attach it to a mail. The same filters as the
    notebook's narrow every section.
    """
    from ingest.settings import warehouse_dir

    directory = warehouse_dir()
    target = output if output is not None else directory / "report.html"
    filters = Filters(
        project=project,
        workflow=workflow,
        since=since,
        until=until,
    )
    try:
        check_filters(directory, filters)
        written = build_report(directory, target, filters)
    except ReportError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2 if isinstance(exc, UsageError) else 1) from None
    typer.echo(f"report: {written}")
