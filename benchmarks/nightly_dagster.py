"""The nightly job under Dagster's own executor against the command line, on the demo world.

    .venv/bin/python -m benchmarks.nightly_dagster [--seed 1]

One simulator (the demo's world, no latency) serves both. Each runs into a fresh warehouse:
first `workflow-analytics ingest`, then `dg launch --job nightly_ingest` (how the
schedule's runs execute, with a DAGSTER_HOME holding the repository's dagster.yaml); then each
again with nothing new. Wall and CPU seconds of each process, and the run's own duration as
Dagster's run storage records it (from the run's start to its end under the job's executor,
without the `dg` command's start and its loading of the code location).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from benchmarks.processes import REPO, clean_env, simulator_env, timed
from cdf_simulator import Simulator, SimulatorConfig, run_server

BIN = Path(sys.executable).parent


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    run = timed(command, env)
    if run.returncode != 0:
        raise SystemExit(f"{command} failed:\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}")
    return run.wall_s, run.cpu_s, (run.stdout.splitlines() or [""])[0]


def _last_run_seconds(home: Path) -> float:
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        (record,) = instance.get_run_records(limit=1)
    assert record.start_time is not None and record.end_time is not None
    return record.end_time - record.start_time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sim = Simulator(SimulatorConfig(seed=args.seed, project="demo"))
    with tempfile.TemporaryDirectory(prefix="nightly-bench-") as tmp, run_server(sim) as url:
        base = {**clean_env(), **simulator_env(url, "demo", "bench")}
        home = Path(tmp) / "dagster_home"
        home.mkdir()
        shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
        cli = dict(base, WAREHOUSE_DIR=str(Path(tmp) / "cli"))
        dagster = dict(base, WAREHOUSE_DIR=str(Path(tmp) / "dagster"), DAGSTER_HOME=str(home))
        job = [str(BIN / "dg"), "launch", "--job", "nightly_ingest"]
        for label in ("first load", "nothing new"):
            cli_wall, cli_cpu, summary = _timed(
                [str(BIN / "workflow-analytics"), "ingest", "-q"], cli
            )
            job_wall, job_cpu, _ = _timed(job, dagster)
            run_s = _last_run_seconds(home)
            print(
                f"{label}: CLI {cli_wall:.1f} s (CPU {cli_cpu:.1f} s); dg launch --job "
                f"{job_wall:.1f} s (CPU {job_cpu:.1f} s), its run {run_s:.1f} s; ratio "
                f"{job_wall / cli_wall:.2f}x (the run alone {run_s / cli_wall:.2f}x); "
                f"the CLI's summary: {summary}",
                flush=True,
            )


if __name__ == "__main__":
    main()
