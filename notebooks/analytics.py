"""CDF workflow analytics: the key charts and tables over the warehouse in WAREHOUSE_DIR.

Open with `marimo edit notebooks/analytics.py` (or `marimo run` for the app view), or run as a
plain script: `python notebooks/analytics.py` (charts are built but not shown). Filters by
project, workflow and date range narrow every section. The numbers come from the SQL views
documented in docs/analytics.md; `workflow-analytics report` renders the same sections to a
static HTML file that needs no network, and the download button at the end writes that file
for the filters chosen here.
"""

import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    from ingest.settings import warehouse_dir
    from workflow_analytics import report as charts
    from workflow_analytics.report_html import sections

    return charts, mo, sections, warehouse_dir


@app.cell
def _(charts, warehouse_dir):
    # WAREHOUSE_DIR, or data/warehouse in the repository. The views and the SLA targets
    # (config/sla_targets.csv or SLA_TARGETS_FILE) are refreshed once, when the notebook opens.
    directory = warehouse_dir()
    refresh_notes = charts.refresh_views(directory)
    options = charts.filter_options(directory)
    return directory, options, refresh_notes


@app.cell
def _(mo, options):
    import datetime as _dt

    _first = options["first_day"].min() or _dt.date.today()
    _last = options["last_day"].max() or _first
    project_filter = mo.ui.dropdown(
        ["(all)", *options["cdf_project"].unique().sort().to_list()],
        value="(all)",
        label="Project",
    )
    date_filter = mo.ui.date_range(
        start=_first, stop=_last, value=(_first, _last), label="Created (UTC days)"
    )
    return date_filter, project_filter


@app.cell
def _(date_filter, mo, options, project_filter):
    # The workflows of the chosen project only.
    _names = (
        options
        if project_filter.value == "(all)"
        else options.filter(options["cdf_project"] == project_filter.value)
    )
    workflow_filter = mo.ui.dropdown(
        ["(all)", *_names["workflow_external_id"].unique().sort().to_list()],
        value="(all)",
        label="Workflow",
        searchable=True,
    )
    mo.hstack([project_filter, workflow_filter, date_filter], justify="start")
    return (workflow_filter,)


@app.cell
def _(charts, date_filter, directory, mo, project_filter, refresh_notes, workflow_filter):
    def _chosen(value):
        return None if value in (None, "(all)") else value

    filters = charts.Filters(
        project=_chosen(project_filter.value),
        workflow=_chosen(workflow_filter.value),
        since=date_filter.value[0],
        until=date_filter.value[1],
    )
    data = charts.load_analytics(directory, refresh=False, filters=filters)
    data.notes[:0] = refresh_notes
    mo.md(
        f"# CDF workflow analytics\n\n{data.total_executions:,} executions in `{directory}`"
        f" ({filters.describe()})." + "".join(f"\n\n> {note}" for note in data.notes)
    )
    return (data,)


@app.cell
def _(data, mo, sections):
    by_id = {section.id: section for section in sections(data)}

    def show_section(section_id, chart=None):
        """A section as the report has it: heading, explanation, chart, titled tables."""
        section = by_id[section_id]
        parts = [mo.md(f"## {section.title}\n\n{section.intro}")]
        if chart is not None:
            parts.append(chart)
        for table in section.tables:
            if table.is_empty:
                parts.append(mo.md(f"**{table.title}**: _{table.empty}_"))
            else:
                parts.append(mo.md(f"**{table.title}**"))
                parts.append(mo.ui.table(table.to_polars(), selection=None))
        return mo.vstack(parts)

    return (show_section,)


@app.cell
def _(charts, data, show_section):
    success_chart = charts.chart_success_rate(data)
    show_section("success-rate", success_chart)
    return (success_chart,)


@app.cell
def _(charts, data, show_section):
    duration_chart = charts.chart_durations(data)
    show_section("durations", duration_chart)
    return (duration_chart,)


@app.cell
def _(charts, data, show_section):
    reasons_chart = charts.chart_failure_reasons(data)
    show_section("failure-reasons", reasons_chart)
    return (reasons_chart,)


@app.cell
def _(charts, data, show_section):
    sla_chart = charts.chart_sla_breaches(data)
    show_section("sla-breaches", sla_chart)
    return (sla_chart,)


@app.cell
def _(show_section):
    show_section("trigger-misses")
    return


@app.cell
def _(charts, data, show_section):
    critical_chart = charts.chart_critical_paths(data)
    show_section("critical-paths", critical_chart)
    return (critical_chart,)


@app.cell
def _(show_section):
    show_section("task-hot-spots")
    return


@app.cell
def _(show_section):
    show_section("flaky-tasks")
    return


@app.cell
def _(show_section):
    show_section("time-to-resolution")
    return


@app.cell
def _(show_section):
    show_section("stuck-runs")
    return


@app.cell
def _(show_section):
    show_section("capacity")
    return


@app.cell
def _(charts, data, mo):
    # `marimo export html` loads marimo's frontend from a CDN and is blank offline; this file
    # is the report's static page (charts inline, no script) for the filters above.
    mo.vstack(
        [
            mo.md("## Offline copy\n\nThis view as one HTML file that opens without network."),
            mo.download(
                data=lambda: charts.render_html(data).encode("utf-8"),
                filename="workflow-analytics-report.html",
                mimetype="text/html",
                label="Download the static report",
            ),
        ]
    )
    return


if __name__ == "__main__":
    app.run()
