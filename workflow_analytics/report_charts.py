"""The report's and the notebook's charts, each answering one question over `AnalyticsData`.

- Which workflows fail, and since when? Weekly success rate of the workflows with the most
  failed runs, one small panel each, against all workflows together.
- How long do runs take? Duration distribution per busy workflow.
- Why do they fail? The most frequent normalised failure reasons.
- Who breaches the SLA, and when? Breaches per day stacked by workflow (the top few, the rest
  together), so one workflow cannot hide the others.
- Where does a normal run spend its time? Per workflow, its slowest COMPLETED run's critical
  path and the dominant task (runs stopped at the timeout are left out).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import matplotlib

# No display: charts are rendered to files and HTML, never to a window.
matplotlib.use("Agg")

import matplotlib.pyplot as plt
import polars as pl
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from workflow_analytics.report import AnalyticsData

PANEL_COLUMNS = 3


def _empty(ax: Any, message: str = "no data yet") -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", transform=ax.transAxes, color="gray")
    ax.set_xticks([])
    ax.set_yticks([])


def _figure(height: float = 3.6) -> tuple[Figure, Any]:
    fig, ax = plt.subplots(figsize=(9, height), layout="constrained")
    return fig, ax


def chart_success_rate(data: AnalyticsData) -> Figure:
    """Small multiples: weekly success rate of the workflows with the most failed runs."""
    frame = data.success_by_workflow_week.drop_nulls("success_rate")
    overall = frame.filter(pl.col("workflow_external_id").is_null())
    per_workflow = frame.filter(pl.col("workflow_external_id").is_not_null())
    names = per_workflow["workflow_external_id"].unique(maintain_order=True).to_list()
    title = "Weekly success rate of the workflows with the most failed runs (grey: all workflows)"
    if not names:
        fig, ax = _figure()
        _empty(ax, "no failed executions" if overall.height else "no finished executions yet")
        ax.set_title(title)
        return fig
    rows = math.ceil(len(names) / PANEL_COLUMNS)
    fig, axes = plt.subplots(
        rows, PANEL_COLUMNS, figsize=(9, 1.9 * rows + 0.6), sharex=True, sharey=True,
        layout="constrained", squeeze=False,
    )  # fmt: skip
    # Shared y axis from just below the lowest rate shown, so a dip from 98 % to 85 % is visible.
    lowest = min(frame["success_rate"].min() or 0.0, 1.0) * 100  # type: ignore[operator]
    floor = max(0.0, math.floor(lowest / 10) * 10 - 5)
    failures = dict(
        per_workflow.group_by("workflow_external_id").agg(pl.col("failed").sum()).iter_rows()
    )
    for ax, name in zip(axes.flat, names, strict=False):
        part = per_workflow.filter(pl.col("workflow_external_id") == name)
        ax.plot(overall["week"], overall["success_rate"] * 100, color="#bbbbbb", lw=1.5)
        ax.plot(part["week"], part["success_rate"] * 100, color="#c0392b", marker=".", lw=1.5)
        ax.set_title(f"{name} ({failures.get(name, 0):,} failed)", fontsize=8)
        ax.set_ylim(floor, 101)
        ax.tick_params(labelsize=7)
        ax.grid(axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("success %", fontsize=8)
    fig.autofmt_xdate()
    fig.suptitle(title, fontsize=10)
    # The first axes carries the title the notebook test and readers look for.
    axes.flat[0].set_label(title)
    return fig


def chart_durations(data: AnalyticsData) -> Figure:
    """Box plots of run duration per workflow (log scale, seconds)."""
    fig, ax = _figure()
    frame = data.durations
    if frame.is_empty():
        _empty(ax, "no run durations yet")
    else:
        groups = frame.group_by("workflow_external_id", maintain_order=True).agg(
            pl.col("duration_ms")
        )
        values = [[max(v / 1000, 0.001) for v in ms] for ms in groups["duration_ms"].to_list()]
        ax.boxplot(
            values, tick_labels=groups["workflow_external_id"].to_list(), orientation="horizontal"
        )
        ax.set_xscale("log")
        ax.set_xlabel("run duration (s, log scale)")
    ax.set_title("Run duration of terminal executions")
    return fig


def chart_failure_reasons(data: AnalyticsData) -> Figure:
    """The most frequent normalised failure reasons of executions."""
    frame = data.execution_reasons.head(10)
    fig, ax = _figure(max(2.5, 0.4 * frame.height + 1.2))
    if frame.is_empty():
        _empty(ax, "no failures")
    else:
        labels = [r if len(r) <= 70 else r[:67] + "..." for r in frame["reason"].to_list()]
        ax.barh(labels[::-1], frame["occurrences"].to_list()[::-1], color="#c0392b")
        ax.set_xlabel("failed executions")
        ax.tick_params(axis="y", labelsize=7)
    ax.set_title("Top failure reasons (normalised)")
    return fig


def chart_sla_breaches(data: AnalyticsData) -> Figure:
    """Breaching executions per day, stacked by workflow (the top few, the rest together)."""
    fig, ax = _figure()
    frame = data.sla_by_workflow_day
    if frame is None or frame.is_empty():
        _empty(ax, "no SLA breaches" if frame is not None else "no SLA views")
    else:
        days = sorted(frame["day"].unique().to_list())
        bottom = [0] * len(days)
        totals = frame.group_by("workflow").agg(pl.col("breaches").sum())
        # Largest first at the bottom; the rest together last, in grey.
        order = totals.sort(
            [pl.col("workflow") == "(other workflows)", pl.col("breaches")],
            descending=[False, True],
        )
        colours = plt.get_cmap("tab10").colors
        for i, (workflow, total) in enumerate(order.iter_rows()):
            counts = dict(frame.filter(pl.col("workflow") == workflow).select("day", "breaches")
                          .iter_rows())  # fmt: skip
            values = [counts.get(d, 0) for d in days]
            colour = "#bbbbbb" if workflow == "(other workflows)" else colours[i % 10]
            ax.bar(days, values, bottom=bottom, color=colour, label=f"{workflow} ({total:,})")
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_ylabel("breaching executions")
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
        fig.autofmt_xdate()
    ax.set_title("SLA breaches per UTC day, by workflow (targets: config/sla_targets.csv)")
    return fig


def chart_critical_paths(data: AnalyticsData) -> Figure:
    """Per workflow, its slowest completed run's critical path, the dominant task highlighted."""
    frame = data.slowest_critical_paths.head(10)
    fig, ax = _figure(max(2.5, 0.4 * frame.height + 1.2))
    if frame.is_empty():
        _empty(ax, "no completed run with a critical path yet")
    else:
        labels = frame["workflow"].to_list()
        total = [v / 60_000 for v in frame["critical_path_ms"].to_list()]
        share = [s or 0.0 for s in frame["dominant_share"].to_list()]
        dominant = [t * s for t, s in zip(total, share, strict=True)]
        ax.barh(labels[::-1], total[::-1], color="#95a5a6", label="critical path")
        ax.barh(labels[::-1], dominant[::-1], color="#2c3e50", label="dominant task")
        for y, (value, task, s) in enumerate(
            zip(total[::-1], frame["dominant_task"].to_list()[::-1], share[::-1], strict=True)
        ):
            ax.text(value, y, f" {task} ({s:.0%})", va="center", fontsize=7)
        ax.set_xlabel("minutes")
        ax.tick_params(axis="y", labelsize=7)
        ax.legend(fontsize=8, loc="lower right")
        ax.set_xlim(0, max(total) * 1.35)
    ax.set_title("Slowest critical paths: each workflow's slowest COMPLETED run")
    return fig


def all_charts(data: AnalyticsData) -> dict[str, Figure]:
    """The report's charts by id, in display order."""
    return {
        "success-rate": chart_success_rate(data),
        "durations": chart_durations(data),
        "failure-reasons": chart_failure_reasons(data),
        "sla-breaches": chart_sla_breaches(data),
        "critical-paths": chart_critical_paths(data),
    }
