"""The nightly run at a given history size: nothing new, and one batch of new runs.

    .venv/bin/python -m benchmarks.nightly_analytics --size 200000 --warehouse DIR [--new 300]
        [--per-day 300 [--young-of 200000]]

Starts the simulator with the benchmark's world for about ``--size`` executions (the same flags
as ``benchmarks.run``'s scaling runs, 40 ms per request unless ``--latency-ms`` says otherwise,
16 in flight) and runs
``workflow-analytics ingest`` against ``DIR``, each in a fresh process:

1. *catch-up*: the first load when ``DIR`` is empty, else the run that brings a warehouse of an
   earlier version up to date (it builds the analytics tables whole). With ``--per-day``, the
   world makes about that many runs a day for as long as ``--size`` takes (at 300 a day, 200,000
   is almost two years), of which CDF shows the last 90 days, and an empty ``DIR`` is grown as
   a warehouse that ran all along would be: a first load at the start of the world's span (90
   days after its first run, as CDF shows it then), then one run per
   ``GROW_STEP_DAYS`` up to the benchmark's clock (at ``--grow-latency-ms``; these runs build
   the history, they are listed but are not what the benchmark compares). With
   ``--young-of SIZE`` the world is the project of ``--size SIZE --per-day N`` (its workflows,
   versions, triggers and rate) with runs in its last ``--size`` executions' days only, all of
   them visible: ``--size 10000 --per-day 300 --young-of 200000`` has the 200,000 world's last
   32 days of runs and the same nights after them, so the two nights differ by the history the
   warehouse holds alone;
2. *nothing new*, twice (the nightly case the target is about), then once more against a
   simulator started afresh (nothing derived yet: it computes every trigger's history again);
3. *new runs*: the simulator's clock moves on by the time ``--new`` executions take to appear
   in this world, then one run; ``--nights`` times (three by default), each on top of the
   last. A single run on two shared cores moves by a second or more (start-up alone did), so
   the median of the nights is the number to compare across sizes.

Each run's wall time, peak RSS (process tree), CPU time, the simulator's CPU time while it
ran (the source shares the two cores) and the parts the command reports
(start-up, ingest, analytics, checks) are printed as a markdown table and written as JSON with
``--json``. A copy of the warehouse is worth keeping: step 3 changes ``DIR``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    BIN,
    DAY_MS,
    NOW_MS,
    SimulatorProcess,
    WorldSize,
    grown_world,
    run_measured,
    size_world,
    young_world,
)
from benchmarks.measured import LATENCY_MS, MAX_CONCURRENT, MIB

# Under CDF's 90 days, so that each run of the growth sees every execution since the last.
GROW_STEP_DAYS = 80
_TIMES = re.compile(
    r"done in (?P<total>[\d.]+)s, start-up (?P<startup>[\d.]+)s, ingest (?P<ingest>[\d.]+)s, "
    r"analytics (?P<analytics>[\d.]+)s, checks (?P<checks>[\d.]+)s"
)
_FETCHED = re.compile(r"fetched ([\d,]+) details")


def _run(
    sim: SimulatorProcess, warehouse: Path, name: str, timeout_s: float = 3600
) -> dict[str, Any]:
    env = {**sim.client_env(), "WAREHOUSE_DIR": str(warehouse)}
    env.pop("DAGSTER_HOME", None)
    sim_cpu = sim.cpu_seconds()
    result = run_measured(
        [str(BIN / "workflow-analytics"), "ingest", "--quiet"], env=env, timeout_s=timeout_s
    )
    if result.returncode != 0:
        raise RuntimeError(f"{name}: ingest failed: {result.stderr[-3000:]}")
    stdout = result.stdout
    times = _TIMES.search(stdout)
    fetched = _FETCHED.search(stdout)
    analytics = next((line for line in stdout.splitlines() if line.startswith("analytics:")), "")
    return {
        "run": name,
        "wall_s": round(result.wall_s, 2),
        "peak_rss_mib": round(result.peak_rss_bytes / MIB),
        "cpu_s": round(result.cpu_s, 1),
        # The source's own work on the same two cores (answering the run's requests).
        "simulator_cpu_s": round(sim.cpu_seconds() - sim_cpu, 1),
        "details_fetched": int(fetched.group(1).replace(",", "")) if fetched else None,
        "parts_s": {k: float(v) for k, v in times.groupdict().items()} if times else {},
        "analytics": analytics,
    }


def _advance(sim: SimulatorProcess, executions: int) -> int:
    """Move the simulator's clock on by about the time ``executions`` runs take to appear."""
    advance = int(executions / sim.size.per_day * DAY_MS)
    sim.advance_clock(advance)
    return advance


def _grow(
    sim: SimulatorProcess, warehouse: Path, latency_ms: int, timeout_s: float
) -> list[dict[str, Any]]:
    """Fill an empty warehouse as nightly runs over the world's whole span would have."""
    size = sim.size
    rows = []
    sim.set_faults(latency_ms=latency_ms)
    day = -size.grown_days
    sim.set_clock(NOW_MS + day * DAY_MS)
    rows.append(_run(sim, warehouse, f"growth: first load at day {day}", timeout_s))
    while day < 0:
        day = min(0, day + GROW_STEP_DAYS)
        sim.set_clock(NOW_MS + day * DAY_MS)
        rows.append(_run(sim, warehouse, f"growth: run at day {day}", timeout_s))
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| run | wall | start-up | ingest | analytics | checks | details | peak RSS | CPU | "
        "simulator CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        p = r["parts_s"]
        lines.append(
            f"| {r['run']} | {r['wall_s']:.1f} s | {p.get('startup', 0):.1f} s | "
            f"{p.get('ingest', 0):.1f} s | {p.get('analytics', 0):.1f} s | "
            f"{p.get('checks', 0):.1f} s | {r['details_fetched']} | {r['peak_rss_mib']} MiB | "
            f"{r['cpu_s']:.1f} s | {r['simulator_cpu_s']:.1f} s |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, required=True, help="executions in the world")
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--new", type=int, default=300, help="new executions for step 3")
    parser.add_argument("--nights", type=int, default=3, help="how many times step 3 runs")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--latency-ms",
        type=int,
        default=LATENCY_MS,
        help=f"the simulator's latency per request (default {LATENCY_MS}); 0 measures what the "
        "machine itself allows, for sizes whose first load at 40 ms would take hours",
    )
    parser.add_argument(
        "--per-day",
        type=float,
        help="a world of about this many runs a day, grown over the years --size takes (below)",
    )
    parser.add_argument(
        "--young-of",
        type=int,
        metavar="SIZE",
        help="with --per-day, the project of the SIZE world with only its last --size "
        "executions' days of runs (see above)",
    )
    parser.add_argument(
        "--grow-latency-ms",
        type=int,
        default=0,
        help="the simulator's latency while --per-day grows the warehouse (default 0)",
    )
    parser.add_argument(
        "--timeout-minutes",
        type=float,
        default=60,
        help="stop a run that takes longer (default 60); the first load of 2,000,000 takes hours",
    )
    args = parser.parse_args()
    if args.young_of and not args.per_day:
        parser.error("--young-of needs --per-day (the rate of the world it is young of)")
    size: WorldSize = (
        (
            young_world(args.size, args.per_day, args.young_of)
            if args.young_of
            else grown_world(args.size, args.per_day)
        )
        if args.per_day
        else size_world(args.size)
    )
    timeout_s = args.timeout_minutes * 60
    rows = []
    with SimulatorProcess(size, latency_ms=args.latency_ms, max_concurrent=MAX_CONCURRENT) as sim:
        empty = not (args.warehouse / "workflows.duckdb").exists()
        if empty and size.grows:
            rows.extend(_grow(sim, args.warehouse, args.grow_latency_ms, timeout_s))
            sim.set_faults(latency_ms=args.latency_ms)
        else:
            catch_up = "first load" if empty else "catch-up (analytics built whole)"
            rows.append(_run(sim, args.warehouse, catch_up, timeout_s))
        for i in (1, 2):
            rows.append(_run(sim, args.warehouse, f"nothing new ({i})"))
    # A simulator that has answered nothing yet derives each trigger's history on the first
    # request for it, as the night after a clock change would: the same run once more against it.
    with SimulatorProcess(size, latency_ms=args.latency_ms, max_concurrent=MAX_CONCURRENT) as sim:
        rows.append(_run(sim, args.warehouse, "nothing new, simulator restarted"))
        for night in range(1, args.nights + 1):
            _advance(sim, args.new)
            rows.append(_run(sim, args.warehouse, f"about {args.new} new executions ({night})"))
    for row in rows:
        print(f"{row['run']}: {row['analytics']}", file=sys.stderr)
    span = ""
    if size.runs_days is not None:
        span = f", runs in its last {size.runs_days} days only"
    elif size.grown_days > 0:
        span = f", {size.grown_days} days of history before them"
    print(
        f"World: {size.visible:,} executions visible, {size.workflows} workflows"
        f"{span}, {args.latency_ms} ms per request\n"
    )
    print(_table(rows))
    nights = [r["wall_s"] for r in rows if r["run"].startswith(f"about {args.new} new")]
    if nights:
        print(f"\nNights with new runs: median {statistics.median(nights):.1f} s of {len(nights)}")
    if args.json:
        args.json.write_text(json.dumps({"size": size.visible, "runs": rows}, indent=2))


if __name__ == "__main__":
    main()
