"""CDF workflow analytics: the key charts over the warehouse in WAREHOUSE_DIR.

Open with `marimo edit notebooks/analytics.py`, or run as a plain script:
`python notebooks/analytics.py` (charts are built but not shown). The numbers come from
the SQL views documented in docs/analytics.md; `workflow-analytics report` renders the same
charts to a static HTML file.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    from ingest.settings import warehouse_dir
    from workflow_analytics import report as charts

    return charts, mo, warehouse_dir


@app.cell
def _(charts, mo, warehouse_dir):
    # WAREHOUSE_DIR, or data/warehouse in the repository. Loading refreshes the views and the
    # SLA targets (config/sla_targets.csv or SLA_TARGETS_FILE).
    directory = warehouse_dir()
    data = charts.load_analytics(directory)
    mo.md(
        f"# CDF workflow analytics\n\n{data.total_executions:,} executions in `{directory}`."
        + "".join(f"\n\n> {note}" for note in data.notes)
    )
    return (data,)


@app.cell
def _(charts, data, mo):
    success_chart = charts.chart_success_rate(data)
    mo.vstack(
        [
            mo.md(
                "## Which workflows fail, and since when?\n\nWeekly success rate of the "
                "workflows with the most failed runs; grey: all workflows together."
            ),
            success_chart,
            data.workflow_summary,
        ]
    )
    return (success_chart,)


@app.cell
def _(charts, data, mo):
    duration_chart = charts.chart_durations(data)
    mo.vstack([mo.md("## Run duration distributions"), duration_chart])
    return (duration_chart,)


@app.cell
def _(charts, data, mo):
    reasons_chart = charts.chart_failure_reasons(data)
    mo.vstack(
        [
            mo.md("## Top failure reasons"),
            reasons_chart,
            data.execution_reasons,
            mo.md("Task-level reasons"),
            data.task_reasons,
        ]
    )
    return (reasons_chart,)


@app.cell
def _(charts, data, mo):
    sla_chart = charts.chart_sla_breaches(data)
    mo.vstack(
        [
            mo.md(
                "## SLA breaches by workflow\n\nTargets from config/sla_targets.csv (or "
                "SLA_TARGETS_FILE); the shipped `*,p95` flags runs slower than their "
                "workflow's own 95th-percentile completed run."
            ),
            sla_chart,
            data.latest_sla_breaches,
        ]
    )
    return (sla_chart,)


@app.cell
def _(charts, data, mo):
    critical_chart = charts.chart_critical_paths(data)
    mo.vstack(
        [
            mo.md(
                "## Slowest critical paths\n\nEach workflow's slowest COMPLETED run (runs "
                "stopped at the timeout are left out): where a normal run spends its time."
            ),
            critical_chart,
            data.slowest_critical_paths,
        ]
    )
    return (critical_chart,)


@app.cell
def _(data, mo):
    mo.vstack(
        [
            mo.md(
                "## Task hot spots, flaky tasks, time to resolution, stuck runs, capacity\n\n"
                "Time to resolution: from the end of the failing run to the end of the first "
                "success that ended after it (never negative)."
            ),
            data.task_hot_spots,
            data.flaky_tasks,
            data.mttr_by_workflow,
            data.stuck_runs,
            data.capacity,
        ]
    )
    return


if __name__ == "__main__":
    app.run()
