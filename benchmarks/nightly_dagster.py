"""The nightly job under Dagster's own executor against the command line, on the demo world.

    .venv/bin/python -m benchmarks.nightly_dagster [--seed 1]

One simulator (the demo's world, no latency) serves both. Each runs into a fresh warehouse:
first `workflow-analytics ingest`, then `dg launch --job nightly_ingest` (how the
schedule's runs execute, with a DAGSTER_HOME holding the repository's dagster.yaml), then
`dagster job execute -m pipelines.definitions -j nightly_ingest` (the job in the command's own
process, with the same kind of DAGSTER_HOME); then each again with nothing new; then, ``--days``
times, each after the simulator's clock moved on by a day (the night the schedule runs: a day
of new runs, the same for all three, whose warehouses each hold the days before). Wall and CPU
seconds of each process, and for the two Dagster commands the run's own duration as Dagster's
run storage records it (from the run's start to its end under the job's executor, without the
command's start and its loading of the code location).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.processes import REPO, clean_env, simulator_env, timed
from cdf_simulator import Simulator, SimulatorConfig, run_server
from cdf_simulator.clock import current_minute_ms

DAY_MS = 86_400_000

BIN = Path(sys.executable).parent


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    run = timed(command, env)
    if run.returncode != 0:
        raise SystemExit(f"{command} failed:\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}")
    # The command line's summary: its times, then what it listed and fetched.
    lines = [line for line in run.stdout.splitlines() if line.startswith(("done in", "listed"))]
    return run.wall_s, run.cpu_s, "; ".join(lines)


def _last_run_seconds(home: Path) -> float:
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        (record,) = instance.get_run_records(limit=1)
    assert record.start_time is not None and record.end_time is not None
    return record.end_time - record.start_time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--days", type=int, default=2, help="nights with a day of new runs")
    args = parser.parse_args()
    # The ingest lists up to the wall clock: the world's clock starts as many days back as the
    # nights move it on, so that the last night ends now.
    now_ms = current_minute_ms() - args.days * DAY_MS
    sim = Simulator(SimulatorConfig(seed=args.seed, project="demo", now_ms=now_ms))
    with tempfile.TemporaryDirectory(prefix="nightly-bench-") as tmp, run_server(sim) as url:
        base = {**clean_env(), **simulator_env(url, "demo", "bench")}
        cli = dict(base, WAREHOUSE_DIR=str(Path(tmp) / "cli"))
        commands = {
            "dg launch --job": [str(BIN / "dg"), "launch", "--job", "nightly_ingest"],
            "dagster job execute": [
                str(BIN / "dagster"),
                "job",
                "execute",
                "-m",
                "pipelines.definitions",
                "-j",
                "nightly_ingest",
            ],
        }
        envs = {}
        for number, name in enumerate(commands):
            home = Path(tmp) / f"dagster_home_{number}"
            home.mkdir()
            shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
            warehouse = str(Path(tmp) / f"dagster_{number}")
            envs[name] = dict(base, WAREHOUSE_DIR=warehouse, DAGSTER_HOME=str(home))
        labels = ["first load", "nothing new"]
        labels += [f"a day of new runs ({day})" for day in range(1, args.days + 1)]
        for label in labels:
            if label.startswith("a day"):
                sim.clock.advance(DAY_MS)
            cli_wall, cli_cpu, summary = _timed(
                [str(BIN / "workflow-analytics"), "ingest", "-q"], cli
            )
            print(
                f"{label}: CLI {cli_wall:.1f} s (CPU {cli_cpu:.1f} s); its summary: {summary}",
                flush=True,
            )
            for name, command in commands.items():
                wall, cpu, _ = _timed(command, envs[name])
                run_s = _last_run_seconds(Path(envs[name]["DAGSTER_HOME"]))
                print(
                    f"{label}: {name} {wall:.1f} s (CPU {cpu:.1f} s), its run {run_s:.1f} s; "
                    f"ratio {wall / cli_wall:.2f}x (the run alone {run_s / cli_wall:.2f}x)",
                    flush=True,
                )


if __name__ == "__main__":
    main()
