"""Charts and tables over the analytics views, and a self-contained static HTML report.

The notebook (``notebooks/analytics.py``) and ``workflow-analytics report`` use the same
functions here, so both show the same numbers. Queries live in ``warehouse/sql/report/*.sql``.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import duckdb
import matplotlib.pyplot as plt
import polars as pl
import typer
from matplotlib.figure import Figure

from warehouse.sla_targets import SlaTargetsError, install_sla
from workflow_analytics.report_charts import (
    all_charts,
    chart_critical_paths,
    chart_durations,
    chart_failure_reasons,
    chart_sla_breaches,
    chart_success_rate,
)

DATABASE_FILE = "workflows.duckdb"
TOP_WORKFLOWS = 8
TOP_ROWS = 15
# Small multiples of the workflows with the most failures; SLA breaches stacked by workflow.
SUCCESS_PANELS = 6
SLA_WORKFLOWS = 6


__all__ = [
    "AnalyticsData",
    "ReportError",
    "all_charts",
    "build_report",
    "chart_critical_paths",
    "chart_durations",
    "chart_failure_reasons",
    "chart_sla_breaches",
    "chart_success_rate",
    "load_analytics",
    "render_html",
]


class ReportError(RuntimeError):
    """The report cannot be built (no warehouse, unreadable targets, ...)."""


@cache
def report_sql(name: str) -> str:
    """The text of ``warehouse/sql/report/<name>.sql``."""
    folder = resources.files("warehouse").joinpath("sql", "report")
    return folder.joinpath(f"{name}.sql").read_text(encoding="utf-8")


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

    @property
    def total_executions(self) -> int:
        frame = self.success_by_day
        return int(frame["executions"].sum()) if frame.height else 0


def _frame(con: duckdb.DuckDBPyConnection, name: str, params: Sequence[Any] = ()) -> pl.DataFrame:
    return con.sql(report_sql(name), params=list(params)).pl()


def _prepare(directory: Path, sla_targets: Path | None, notes: list[str]) -> bool:
    """Refresh the views and the SLA targets; returns whether the SLA views are usable.

    Needs a writable connection for a moment. When an ingest holds the file, the report goes on
    read-only with whatever views the file already has.
    """
    from ingest.settings import WarehouseSettings
    from warehouse.store import Warehouse

    settings = WarehouseSettings.load()
    try:
        with Warehouse(directory, memory_limit=settings.duckdb_memory) as wh:
            wh.ensure_schema()
            install_sla(wh.connection, sla_targets or settings.sla_targets_file)
        return True
    except SlaTargetsError as exc:
        raise ReportError(str(exc)) from None
    except duckdb.IOException:
        notes.append("The warehouse was busy: views and SLA targets were not refreshed.")
        return False


def _has_view(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND NOT internal", [name]
    ).fetchall()
    return bool(found[0][0])


def load_analytics(
    warehouse_dir: Path, *, sla_targets: Path | None = None, refresh: bool = True
) -> AnalyticsData:
    """Read the analytics views of the warehouse in ``warehouse_dir``.

    ``refresh`` (re)creates the views and reloads the SLA targets file first (``sla_targets``,
    else ``$SLA_TARGETS_FILE``, else ``config/sla_targets.csv``).
    """
    directory = Path(warehouse_dir)
    database = directory / DATABASE_FILE
    if not database.is_file():
        raise ReportError(
            f"no warehouse at {database}; run `workflow-analytics ingest` or set WAREHOUSE_DIR"
        )
    notes: list[str] = []
    if refresh:
        _prepare(directory, sla_targets, notes)
    con = duckdb.connect(str(database), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        if not _has_view(con, "execution_facts"):
            raise ReportError(f"{database} has no analytics views; open it once with refresh")
        data = AnalyticsData(
            warehouse_dir=directory,
            generated_at=datetime.now(UTC),
            success_by_day=_frame(con, "success_by_day"),
            success_by_workflow_week=_frame(con, "success_by_workflow_week", [SUCCESS_PANELS]),
            durations=_frame(con, "durations", [TOP_WORKFLOWS]),
            workflow_summary=_frame(con, "workflow_summary"),
            execution_reasons=_frame(con, "top_failure_reasons", ["execution", TOP_ROWS]),
            task_reasons=_frame(con, "top_failure_reasons", ["task", TOP_ROWS]),
            slowest_critical_paths=_frame(con, "slowest_critical_paths", [TOP_ROWS]),
            task_hot_spots=_frame(con, "task_hot_spots", [TOP_ROWS]),
            flaky_tasks=_frame(con, "flaky_tasks", [TOP_ROWS]),
            mttr_by_workflow=_frame(con, "mttr_by_workflow"),
            stuck_runs=_frame(con, "stuck_runs"),
            capacity=_frame(con, "capacity"),
            notes=notes,
        )
        if _has_view(con, "sla_breaches_daily"):
            data.sla_by_workflow_day = _frame(con, "sla_by_workflow_day", [SLA_WORKFLOWS])
            data.latest_sla_breaches = _frame(con, "latest_sla_breaches", [TOP_ROWS])
        else:
            notes.append("No SLA views in this warehouse yet: SLA breaches are not shown.")
        if _has_view(con, "trigger_fire_checks"):
            data.trigger_summary = _frame(con, "trigger_summary")
            data.latest_trigger_misses = _frame(con, "latest_trigger_misses", [TOP_ROWS])
    finally:
        con.close()
    return data


# --- HTML -----------------------------------------------------------------------------------


def figure_png_base64(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _cell(value: Any, column: str) -> str:
    if value is None:
        return '<td class="null">-</td>'
    if isinstance(value, bool):
        return f"<td>{'yes' if value else 'no'}</td>"
    if column.endswith("_ms") and isinstance(value, int | float):
        return f'<td class="num">{_human_ms(value)}</td>'
    if column.endswith(("_rate", "_share")) and isinstance(value, float):
        return f'<td class="num">{value * 100:.1f}%</td>'
    if isinstance(value, datetime):
        return f"<td>{value.astimezone(UTC):%Y-%m-%d %H:%M:%S}</td>"
    if isinstance(value, date):
        return f"<td>{value.isoformat()}</td>"
    if isinstance(value, int | float):
        return f'<td class="num">{value:,}</td>'
    return f"<td>{html.escape(str(value))}</td>"


def _human_ms(value: float) -> str:
    seconds = value / 1000
    if abs(seconds) < 120:
        return f"{seconds:,.1f} s"
    if abs(seconds) < 7200:
        return f"{seconds / 60:,.1f} min"
    return f"{seconds / 3600:,.1f} h"


def html_table(frame: pl.DataFrame | None, empty: str = "nothing to show") -> str:
    if frame is None or frame.is_empty():
        return f'<p class="empty">{html.escape(empty)}</p>'
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(_cell(v, c) for c, v in zip(frame.columns, row, strict=True)) + "</tr>"
        for row in frame.iter_rows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;
max-width:1180px;color:#222;background:#fff}
h1{margin-bottom:0}h2{margin-top:36px;border-bottom:2px solid #ddd;padding-bottom:4px}
.meta{color:#666}.notes{background:#fff6e0;padding:8px 12px;border-left:4px solid #e6a700}
figure{margin:12px 0}figure img{max-width:100%;border:1px solid #eee}
table{border-collapse:collapse;font-size:13px;margin:8px 0;width:100%}
th,td{border:1px solid #ddd;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f4f6f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.null{color:#aaa}.empty{color:#888;font-style:italic}
"""


def render_html(data: AnalyticsData) -> str:
    """The whole report as one HTML document (images inline, no external references)."""
    charts = {k: figure_png_base64(f) for k, f in all_charts(data).items()}

    def figure(chart_id: str, alt: str) -> str:
        return (
            f'<figure id="chart-{chart_id}" class="chart"><img alt="{html.escape(alt)}" '
            f'src="data:image/png;base64,{charts[chart_id]}"></figure>'
        )

    notes = "".join(f"<p>{html.escape(n)}</p>" for n in data.notes)
    sections = [
        "<h2>Success rate</h2>",
        figure("success-rate", "Success rate per day"),
        html_table(data.workflow_summary, "no executions"),
        "<h2>Run durations</h2>",
        figure("durations", "Run duration distribution per workflow"),
        "<h2>Failure reasons</h2>",
        figure("failure-reasons", "Top failure reasons"),
        "<h3>Executions</h3>",
        html_table(data.execution_reasons, "no failed executions"),
        "<h3>Tasks</h3>",
        html_table(data.task_reasons, "no failed tasks"),
        "<h2>SLA breaches</h2>",
        "<p>Targets from the SLA targets file; a budget of <code>p95</code> (the shipped "
        "default) is each workflow's own 95th-percentile completed run.</p>",
        figure("sla-breaches", "SLA breaches per day by workflow"),
        html_table(data.latest_sla_breaches, "no SLA breaches"),
        "<h2>Scheduled runs that never happened</h2>",
        "<p>Fires each schedule trigger's cron promised, against the fires CDF recorded: a "
        "failed fire or no fire at all (paused trigger) leaves no execution behind.</p>",
        html_table(data.trigger_summary, "no schedule triggers"),
        html_table(data.latest_trigger_misses, "no missed runs"),
        "<h2>Slowest critical paths</h2>",
        "<p>Each workflow's slowest COMPLETED run: runs that failed or hit the timeout are "
        "left out (a run stopped at 24 h is one hung task, not where time goes).</p>",
        figure("critical-paths", "Slowest critical paths"),
        html_table(data.slowest_critical_paths, "no critical paths"),
        "<h2>Task hot spots</h2>",
        html_table(data.task_hot_spots, "no tasks"),
        "<h2>Flaky tasks</h2>",
        html_table(data.flaky_tasks, "no flaky tasks"),
        "<h2>Time to resolution</h2>",
        "<p>An incident opens when a run fails and is resolved by the first COMPLETED run that "
        "ended after it; time to resolution is end to end, never negative.</p>",
        html_table(data.mttr_by_workflow, "no incidents"),
        "<h2>Stuck runs</h2>",
        html_table(data.stuck_runs, "no stuck runs"),
        "<h2>Capacity</h2>",
        "<p>Peak concurrent executions (CDF cap 50 per project) and the most tasks in one "
        "execution (cap 200), per UTC day.</p>",
        html_table(data.capacity, "no executions"),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>CDF workflow analytics</title><style>{_CSS}</style></head><body>"
        "<h1>CDF workflow analytics</h1>"
        f'<p class="meta">{data.total_executions:,} executions; generated '
        f"{data.generated_at:%Y-%m-%d %H:%M} UTC from {html.escape(str(data.warehouse_dir))}. "
        "Definitions: docs/analytics.md.</p>"
        + (f'<div class="notes">{notes}</div>' if notes else "")
        + "".join(sections)
        + "</body></html>\n"
    )


def build_report(warehouse_dir: Path, output: Path) -> Path:
    """Write the static HTML report for the warehouse in ``warehouse_dir`` to ``output``."""
    data = load_analytics(Path(warehouse_dir))
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    temporary = output.with_name(output.name + ".tmp")
    temporary.write_text(render_html(data), encoding="utf-8")
    # Readers never see a half-written file.
    temporary.replace(output)
    return output


def report(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="HTML file to write (default: WAREHOUSE_DIR/report.html)."
        ),
    ] = None,
) -> None:
    """Write a self-contained static HTML report of the warehouse's analytics."""
    from ingest.settings import warehouse_dir

    directory = warehouse_dir()
    target = output if output is not None else directory / "report.html"
    try:
        written = build_report(directory, target)
    except ReportError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"report: {written}")
