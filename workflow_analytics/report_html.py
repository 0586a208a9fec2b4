"""The report's sections (titles, explanations, charts, titled tables) and their HTML.

The notebook shows the same sections, so titles and explanations are written once, here. The
page is rendered by a Jinja template shipped with the package (``templates/report.html.j2``),
autoescaped, so a failure reason or a workflow name can never inject markup.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

import jinja2
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from workflow_analytics.formatting import Table, format_count, format_table
from workflow_analytics.report_charts import all_charts

if TYPE_CHECKING:
    from workflow_analytics.report import AnalyticsData

TITLE = "CDF workflow analytics"


@dataclass(frozen=True)
class Section:
    """One titled part of the report: an explanation, at most one chart, titled tables."""

    id: str
    title: str
    intro: str = ""
    chart: str | None = None
    chart_alt: str = ""
    tables: list[Table] = field(default_factory=list)


def sections(data: AnalyticsData) -> list[Section]:
    """The report's sections in reading order, every value formatted for people."""
    no_dates = (
        " Dates do not narrow it: the view covers the whole history."
        if data.filters.since or data.filters.until
        else ""
    )
    return [
        Section(
            "success-rate",
            "Success rate",
            "Weekly success rate of the workflows with the most failed runs, against all "
            "selected workflows together (grey).",
            "success-rate",
            "Success rate per week",
            [format_table(data.workflow_summary, "Executions per workflow", "no executions")],
        ),
        Section(
            "durations",
            "Run durations",
            "Duration of terminal runs of the busiest workflows (log scale).",
            "durations",
            "Run duration distribution per workflow",
        ),
        Section(
            "failure-reasons",
            "Failure reasons",
            "Reasons with ids, times, numbers and quoted values replaced by placeholders, so "
            "one cause counts once. The workflow filter does not apply (a reason spans "
            "workflows); dates keep the reasons seen in the range, counted over all time.",
            "failure-reasons",
            "Top failure reasons",
            [
                format_table(
                    data.execution_reasons,
                    "Failure reasons of executions",
                    "no failed executions",
                ),
                format_table(data.task_reasons, "Failure reasons of tasks", "no failed tasks"),
            ],
        ),
        Section(
            "sla-breaches",
            "SLA breaches",
            "Targets from the SLA targets file; a budget of p95 (the shipped default) is each "
            "workflow's own 95th-percentile completed run.",
            "sla-breaches",
            "SLA breaches per day by workflow",
            [format_table(data.latest_sla_breaches, "Latest SLA breaches", "no SLA breaches")],
        ),
        Section(
            "trigger-misses",
            "Scheduled runs that never happened",
            "Fires each schedule trigger's cron promised, against the fires CDF recorded: a "
            "failed fire or no fire at all (paused trigger) leaves no execution behind.",
            tables=[
                format_table(data.trigger_summary, "Schedule triggers", "no schedule triggers"),
                format_table(data.latest_trigger_misses, "Latest missed runs", "no missed runs"),
            ],
        ),
        Section(
            "critical-paths",
            "Slowest critical paths",
            "Each workflow's slowest COMPLETED run: runs that failed or hit the timeout are "
            "left out (a run stopped at 24 h is one hung task, not where time goes).",
            "critical-paths",
            "Slowest critical paths",
            [
                format_table(
                    data.slowest_critical_paths, "Slowest critical paths", "no critical paths"
                )
            ],
        ),
        Section(
            "task-hot-spots",
            "Task hot spots",
            "The tasks that fail most, then the slowest." + no_dates,
            tables=[format_table(data.task_hot_spots, "Task hot spots", "no tasks")],
        ),
        Section(
            "flaky-tasks",
            "Flaky tasks",
            "Tasks that failed and then succeeded, in the same run or the next." + no_dates,
            tables=[format_table(data.flaky_tasks, "Flaky tasks", "no flaky tasks")],
        ),
        Section(
            "time-to-resolution",
            "Time to resolution",
            "An incident opens when a run fails and is resolved by the first COMPLETED run "
            "that ended after it; time to resolution is end to end, never negative.",
            tables=[format_table(data.mttr_by_workflow, "Incidents per workflow", "no incidents")],
        ),
        Section(
            "stuck-runs",
            "Stuck runs",
            "Runs still going well past their workflow's usual 95th percentile, or near the "
            "24 h cap.",
            tables=[format_table(data.stuck_runs, "Stuck runs", "no stuck runs")],
        ),
        Section(
            "capacity",
            "Capacity",
            "Peak concurrent executions (CDF cap 50 per project) and the most tasks in one "
            "execution (cap 200), per UTC day.",
            tables=[format_table(data.capacity, "Capacity per UTC day", "no executions")],
        ),
    ]


def figure_png_base64(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


@cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("workflow_analytics", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("report.html.j2")


def render(data: AnalyticsData) -> str:
    """The whole report as one HTML document (images inline, no external references)."""
    charts = {key: figure_png_base64(fig) for key, fig in all_charts(data).items()}
    return _template().render(
        title=TITLE,
        executions=format_count(data.total_executions),
        generated_at=f"{data.generated_at:%Y-%m-%d %H:%M}",
        warehouse_dir=str(data.warehouse_dir),
        filters=data.filters.describe(),
        notes=data.notes,
        sections=sections(data),
        charts=charts,
    )
