"""The benchmark's results as Markdown (what RESULTS.md quotes) and the scaling plot."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from benchmarks.harness import WorldSize
from benchmarks.measured import LATENCY_MS, MAX_CONCURRENT, Measured
from benchmarks.startup import startup_line


def _fmt_row(m: Measured, ours: Measured | None) -> str:
    ratio = f"{m.wall_s / ours.wall_s:5.2f}x" if ours and m is not ours else "    -"
    req = m.requests
    return (
        f"| {m.name} | {m.wall_s:.1f} | {ratio} | {req.get('list', 0):,} | "
        f"{req.get('detail', 0):,} | {m.throttled_429:,} | {m.peak_rss_mib:,.0f} | "
        f"{m.cpu_s:.1f} | {m.simulator_cpu_s:.1f} | {m.executions_per_s:,.0f} | "
        f"{m.task_rows_per_s:,.0f} |"
    )


def report(results: dict[str, Any]) -> str:
    """The results as Markdown (what RESULTS.md quotes)."""
    lines: list[str] = []
    main: list[Measured] = results["contenders"]
    ours = next(m for m in main if m.name == "ours (workflow-analytics ingest)")
    size: WorldSize = results["size"]
    lines.append(
        f"World: {size.visible:,} visible executions ({size.workflows} workflows, "
        f"{size.executions_per_day} executions/day flag), latency {LATENCY_MS} ms, "
        f"cap {MAX_CONCURRENT} in flight (429 beyond)."
    )
    lines.append("")
    lines.append(
        "| contender | wall s | vs ours | list req | detail req | 429s | peak RSS MiB | "
        "CPU s | simulator CPU s | executions/s | task rows/s |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for m in main:
        lines.append(_fmt_row(m, ours))
    bound = results["latency_bound_s"]
    lines.append(
        f"| latency bound | {bound:.1f} | {bound / ours.wall_s:5.2f}x | "
        f"{ours.requests.get('list', 0):,} | {ours.requests.get('detail', 0):,} | 0 | - | - | - | "
        f"{ours.executions / bound:,.0f} | {ours.task_rows / bound:,.0f} |"
    )
    notes = [f"- {m.name}: {m.note}" for m in main if m.note]
    if notes:
        lines += ["", *notes]
    lines.append("")
    ingest_s = ours.extra.get("ingest_seconds")
    lines.append(
        f"Ours: {ours.wall_s:.1f} s end to end, of which the ingest itself took {ingest_s} s "
        f"(the rest: process start, Dagster, the views and the asset checks); "
        f"{ours.wall_s / bound:.2f}x the latency bound ({ingest_s / bound:.2f}x for the ingest "
        f"alone)."
    )
    nightly: Measured = results["nightly"]
    listed = nightly.extra.get("listed") or 0
    per_k = nightly.requests.get("list", 0) / listed * 1000 if listed else math.nan
    lines.append(
        f"Nightly run with nothing new: {nightly.wall_s:.1f} s, {listed:,} executions in the "
        f"window, {nightly.requests.get('list', 0)} list requests ({per_k:.1f} per 1,000 in the "
        f"window), {nightly.requests.get('detail', 0)} detail requests "
        f"({nightly.extra.get('still_open')} of them re-checks of executions still RUNNING), "
        f"peak RSS {nightly.peak_rss_mib:,.0f} MiB."
    )
    if "startup" in results:
        lines.append(startup_line(results["startup"]))
    fw = results["flatten_write"]
    lines.append(
        f"Flatten + write, no network: {fw['task_rows']:,} task rows of {fw['executions']:,} "
        f"executions in {fw['total_s']:.2f} s = **{fw['task_rows_per_s']:,.0f} task rows/s** "
        f"(flatten {fw['flatten_s']:.2f} s, DuckDB upserts {fw['apply_s']:.2f} s, Parquet "
        f"{fw['flush_s']:.2f} s for {fw['partitions']} partitions); CPU {fw['cpu_s']:.2f} s "
        f"(all threads); peak RSS {fw['peak_rss_mib']:,.0f} MiB (details held in memory "
        "included)."
    )
    if results["scaling"]:
        lines += [
            "",
            "| executions | wall s | ingest s | detail req | peak RSS MiB | executions/s |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for row in results["scaling"]:
            lines.append(
                f"| {row['executions']:,} | {row['wall_s']:.1f} | {row['ingest_s']} | "
                f"{row['detail_requests']:,} | {row['peak_rss_mib']:,.0f} | "
                f"{row['executions'] / row['wall_s']:,.0f} |"
            )
    return "\n".join(lines)


def plot(scaling: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    xs = [r["executions"] for r in scaling]
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=110)
    ax_t.plot(xs, [r["wall_s"] for r in scaling], "o-", label="workflow-analytics ingest")
    ax_t.plot(xs, [r["bound_s"] for r in scaling], "s--", label="latency bound")
    ax_t.set_xlabel("executions")
    ax_t.set_ylabel("wall time (s)")
    ax_t.set_title(f"First load, {LATENCY_MS} ms latency, {MAX_CONCURRENT} in flight")
    ax_t.legend()
    ax_m.plot(xs, [r["peak_rss_mib"] for r in scaling], "o-", color="tab:red", label="peak RSS")
    ax_m.axhline(1024, color="grey", linestyle=":", label="1 GiB")
    ax_m.set_xlabel("executions")
    ax_m.set_ylabel("peak RSS (MiB)")
    ax_m.set_title("Peak memory of the ingest process")
    ax_m.set_ylim(bottom=0)
    ax_m.legend()
    for ax in (ax_t, ax_m):
        ax.grid(alpha=0.3)
        thousands = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v / 1000:,.0f}k")
        ax.xaxis.set_major_formatter(thousands)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
