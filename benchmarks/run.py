"""The benchmark: our ingest against what a user would pick instead, on one simulated project.

    .venv/bin/python -m benchmarks.run [--executions 10000] [--scaling 10000,50000,200000]
        [--sequential-sample 300] [--skip-dlt] [--skip-sdk] [--json out.json] [--plot out.png]

The simulator runs as its own process (`workflow-analytics simulate`) with 40 ms of latency on
every API request and a cap of 16 requests in flight (beyond it: 429 with Retry-After), sized to
about ``--executions`` visible executions. Each contender then runs as a child process against
it, with a fresh warehouse or DuckDB file, and is measured for wall time, the simulator's
request counters (``/_simulator/stats``), 429 answers (each one is a retried request), peak RSS
of its process tree and rows per second:

1. ours: ``workflow-analytics ingest`` with the contract's CDF_*/IDP_* variables and a fresh
   WAREHOUSE_DIR (Dagster, the views and the asset checks included), then the same command
   again with nothing new (the nightly case);
2. cognite-sdk: list, then ``retrieve_detailed`` per execution, sequentially (on a sample,
   extrapolated) and from a 16-thread pool (as written, and with the SDK's cap raised), then
   a DuckDB write (see benchmarks/peers.py);
3. dlt ``rest_api`` into DuckDB with merge (see benchmarks/peers.py);
4. the latency bound: (detail requests / 16 + list pages) x 40 ms.

Then flatten + write throughput with no network (benchmarks/flatten_write.py), and our ingest
alone at each ``--scaling`` size for time and peak memory against the number of executions.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson
import psutil

from benchmarks.harness import BIN, REPO, SimulatorProcess, WorldSize, run_measured, size_world
from benchmarks.measured import LATENCY_MS, MAX_CONCURRENT, MIB, Measured
from benchmarks.results import plot, report
from benchmarks.startup import bytecode_missing, measure
from warehouse.layout import DATABASE_FILE


def _requests(stats: dict[str, Any]) -> dict[str, int]:
    return {k: int(v) for k, v in stats["requests"].items() if k != "control"}


def _throttled(stats: dict[str, Any]) -> int:
    return int(stats["statusCodes"].get("429", 0))


def latency_bound_s(detail_requests: int, list_pages: int) -> float:
    return (detail_requests / MAX_CONCURRENT + list_pages) * LATENCY_MS / 1000


def _last_run(warehouse_dir: Path) -> dict[str, Any]:
    con = duckdb.connect(str(warehouse_dir / DATABASE_FILE), read_only=True)
    try:
        rows = con.execute(
            "SELECT value::VARCHAR FROM _ingest_state WHERE key = 'executions.last_run'"
        ).fetchall()
        counts = {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
            for t in ("workflow_executions", "task_executions")
        }
    finally:
        con.close()
    return {**(orjson.loads(rows[0][0]) if rows else {}), "counts": counts}


def run_ours(sim: SimulatorProcess, warehouse_dir: Path, name: str) -> Measured:
    sim.reset_stats()
    cpu0 = sim.cpu_seconds()
    env = {**sim.client_env(), "WAREHOUSE_DIR": str(warehouse_dir)}
    env.pop("DAGSTER_HOME", None)
    result = run_measured([str(BIN / "workflow-analytics"), "ingest", "--quiet"], env=env)
    if result.returncode != 0:
        raise RuntimeError(f"{name}: ingest failed: {result.stderr[-3000:]}")
    stats = sim.stats()
    last = _last_run(warehouse_dir)
    return Measured(
        name=name,
        wall_s=result.wall_s,
        executions=int(last.get("details_fetched", 0)),
        task_rows=int(last.get("task_rows_written", 0)),
        requests=_requests(stats),
        throttled_429=_throttled(stats),
        peak_rss_mib=result.peak_rss_bytes / MIB,
        cpu_s=result.cpu_s,
        simulator_cpu_s=sim.cpu_seconds() - cpu0,
        extra={
            "ingest_seconds": last.get("seconds"),
            "listed": last.get("listed"),
            "still_open": (last.get("still_open") or 0) + (last.get("open_outside_window") or 0),
            "client_retries": (last.get("requests") or {}).get("retries"),
            "rows_in_warehouse": last["counts"],
        },
    )


def run_peer(
    sim: SimulatorProcess, name: str, args: list[str], workdir: Path, note: str = ""
) -> Measured:
    sim.reset_stats()
    cpu0 = sim.cpu_seconds()
    db = workdir / f"{name.replace(' ', '_')}.duckdb"
    command = [sys.executable, "-m", "benchmarks.peers", *args, "--duckdb", str(db)]
    result = run_measured(command, env=sim.client_env())
    if result.returncode != 0:
        raise RuntimeError(f"{name} failed: {result.stderr[-3000:]}")
    out = json.loads(result.stdout.strip().splitlines()[-1])
    stats = sim.stats()
    return Measured(
        name=name,
        wall_s=result.wall_s,
        executions=int(out["executions"]),
        task_rows=int(out["task_rows"]),
        requests=_requests(stats),
        throttled_429=_throttled(stats),
        peak_rss_mib=result.peak_rss_bytes / MIB,
        cpu_s=result.cpu_s,
        simulator_cpu_s=sim.cpu_seconds() - cpu0,
        note=note,
        extra=out,
    )


def extrapolated(sample: Measured, total_executions: int, total_task_rows: int) -> Measured:
    """A sequential SDK run on a sample, scaled to the whole world by its detail rate."""
    details_s = sample.extra["details_s"] / max(1, sample.executions)
    fixed_s = sample.wall_s - sample.extra["details_s"]
    wall = fixed_s + details_s * total_executions
    return Measured(
        name=sample.name,
        wall_s=wall,
        executions=total_executions,
        task_rows=total_task_rows,
        requests={
            **sample.requests,
            "detail": total_executions,
        },
        throttled_429=sample.throttled_429,
        peak_rss_mib=sample.peak_rss_mib,
        cpu_s=sample.cpu_s,
        simulator_cpu_s=sample.simulator_cpu_s,
        note=(
            f"extrapolated from {sample.executions} details in "
            f"{sample.extra['details_s']:.1f} s ({details_s * 1000:.1f} ms each); "
            "memory and CPU are the sample's"
        ),
        extra=sample.extra,
    )


def flatten_write(executions: int) -> dict[str, Any]:
    result = run_measured(
        [sys.executable, "-m", "benchmarks.flatten_write", "--executions", str(executions)]
    )
    if result.returncode != 0:
        raise RuntimeError(f"flatten_write failed: {result.stderr[-3000:]}")
    out = dict(json.loads(result.stdout.strip().splitlines()[-1]))
    out["peak_rss_mib"] = result.peak_rss_bytes / MIB
    return out


def _scaling_run(size: WorldSize, directory: Path) -> Measured:
    with SimulatorProcess(size, latency_ms=LATENCY_MS, max_concurrent=MAX_CONCURRENT) as sim:
        try:
            return run_ours(sim, directory, f"ours at {size.target}")
        finally:
            shutil.rmtree(directory, ignore_errors=True)


def _log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=10_000)
    parser.add_argument(
        "--scaling", default="10000,50000,200000", help="sizes for time and memory ('' skips)"
    )
    parser.add_argument("--sequential-sample", type=int, default=300)
    parser.add_argument("--skip-sdk", action="store_true")
    parser.add_argument("--skip-dlt", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="write the raw results here")
    parser.add_argument("--plot", type=Path, default=REPO / "benchmarks" / "scaling.png")
    args = parser.parse_args()
    if problem := bytecode_missing():
        raise SystemExit(problem)

    started = time.time()
    work = Path(tempfile.mkdtemp(prefix="cdf-bench-"))
    results: dict[str, Any] = {
        "command": " ".join(["python -m benchmarks.run", *sys.argv[1:]]),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{psutil.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, {platform.platform()}, "
        f"Python {platform.python_version()}",
        "contenders": [],
        "scaling": [],
    }
    try:
        _log("start-up (benchmarks/startup.py)")
        results["startup"] = measure(work)
        size = size_world(args.executions)
        results["size"] = size
        _log(f"world: {size.visible:,} executions; starting the simulator")
        with SimulatorProcess(size, latency_ms=LATENCY_MS, max_concurrent=MAX_CONCURRENT) as sim:
            _log("ours: workflow-analytics ingest (first load)")
            ours = run_ours(sim, work / "warehouse", "ours (workflow-analytics ingest)")
            results["contenders"].append(ours)
            results["latency_bound_s"] = latency_bound_s(
                ours.requests.get("detail", 0), ours.requests.get("list", 0)
            )
            _log(f"  {ours.wall_s:.1f} s; nightly run with nothing new")
            results["nightly"] = run_ours(sim, work / "warehouse", "ours, nightly, nothing new")
            if not args.skip_sdk:
                _log(f"sdk sequential on {args.sequential_sample} executions")
                sample = run_peer(
                    sim,
                    "cognite-sdk sequential",
                    ["sdk", "--threads", "1", "--limit", str(args.sequential_sample)],
                    work,
                )
                results["contenders"].append(extrapolated(sample, ours.executions, ours.task_rows))
                _log("sdk, 16 threads")
                results["contenders"].append(
                    run_peer(
                        sim,
                        "cognite-sdk 16 threads",
                        ["sdk", "--threads", "16"],
                        work,
                        note="as written: the SDK itself keeps at most 5 reads in flight",
                    )
                )
                _log("sdk, 16 threads, SDK read cap raised to 16")
                results["contenders"].append(
                    run_peer(
                        sim,
                        "cognite-sdk 16 threads, cap 16",
                        ["sdk", "--threads", "16", "--tuned"],
                        work,
                        note="global_config.concurrency_settings.general.read = 16",
                    )
                )
            if not args.skip_dlt:
                _log("dlt rest_api")
                results["contenders"].append(
                    run_peer(
                        sim,
                        "dlt rest_api",
                        ["dlt", "--workers", str(MAX_CONCURRENT)],
                        work,
                        note="parallelized detail transformer on 16 extract workers",
                    )
                )
        _log("flatten + write, no network")
        results["flatten_write"] = flatten_write(args.executions)
        # The head-to-head part now, so a long scaling run cannot lose it.
        print(report(results), file=sys.stderr, flush=True)
        for n in [int(x) for x in args.scaling.split(",") if x.strip()]:
            s = size_world(n)
            _log(f"scaling: {s.visible:,} executions")
            try:
                m = _scaling_run(s, work / f"scale-{n}")
            except RuntimeError as exc:
                # One failed size (e.g. the machine ran out of something) must not lose the
                # others: say so and go on.
                _log(f"  failed: {exc}")
                results["scaling_failures"] = [*results.get("scaling_failures", []), str(exc)]
                continue
            results["scaling"].append(
                {
                    "executions": m.executions,
                    "wall_s": m.wall_s,
                    "ingest_s": m.extra.get("ingest_seconds"),
                    "detail_requests": m.requests.get("detail", 0),
                    "bound_s": latency_bound_s(
                        m.requests.get("detail", 0), m.requests.get("list", 0)
                    ),
                    "peak_rss_mib": m.peak_rss_mib,
                    "throttled_429": m.throttled_429,
                }
            )
            _log(f"  {m.wall_s:.1f} s, peak {m.peak_rss_mib:,.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["benchmark_s"] = time.time() - started
    print(f"# Benchmark, {results['date']}\n")
    print(f"Command: `{results['command']}`; machine: {results['machine']}.\n")
    print(report(results))
    print(f"\n(benchmark took {results['benchmark_s'] / 60:.1f} min)")
    if results["scaling"] and args.plot:
        plot(results["scaling"], args.plot)
        print(f"plot: {args.plot}")
    if args.json:
        plain = {
            **results,
            "size": asdict(results["size"]),
            "contenders": [asdict(m) for m in results["contenders"]],
            "nightly": asdict(results["nightly"]),
        }
        args.json.write_text(json.dumps(plain, indent=2, default=str))


if __name__ == "__main__":
    main()
