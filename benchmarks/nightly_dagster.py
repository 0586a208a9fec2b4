"""The nightly job under Dagster's own executor against the command line, on the demo world.

    .venv/bin/python -m benchmarks.nightly_dagster [--seed 1]

One simulator (the demo's world, no latency) serves both. Each runs into a fresh warehouse:
first `workflow-analytics ingest`, then `dagster job execute -j nightly_ingest` (how the
schedule's runs execute, with a DAGSTER_HOME holding the repository's dagster.yaml); then each
again with nothing new. Wall and CPU seconds of each process.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cdf_simulator import Simulator, SimulatorConfig, run_server

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    start = time.perf_counter()
    proc = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{command} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    first_line = (proc.stdout.splitlines() or [""])[0]
    return wall, usage.ru_utime + usage.ru_stime - cpu, first_line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sim = Simulator(SimulatorConfig(seed=args.seed, project="demo"))
    with tempfile.TemporaryDirectory(prefix="nightly-bench-") as tmp, run_server(sim) as url:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("CDF_", "IDP_"))}
        base.pop("DAGSTER_HOME", None)
        base.update(
            CDF_URL=url,
            CDF_PROJECT="demo",
            IDP_TOKEN_URL=f"{url}/oauth2/token",
            IDP_CLIENT_ID="bench",
            IDP_CLIENT_SECRET="bench-secret",
            IDP_SCOPES=f"{url}/.default",
        )
        home = Path(tmp) / "dagster_home"
        home.mkdir()
        shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
        cli = dict(base, WAREHOUSE_DIR=str(Path(tmp) / "cli"))
        dagster = dict(base, WAREHOUSE_DIR=str(Path(tmp) / "dagster"), DAGSTER_HOME=str(home))
        job = [
            str(BIN / "dagster"),
            *("job", "execute", "-m", "pipelines.definitions", "-j", "nightly_ingest"),
        ]
        for label in ("first load", "nothing new"):
            cli_wall, cli_cpu, summary = _timed(
                [str(BIN / "workflow-analytics"), "ingest", "-q"], cli
            )
            job_wall, job_cpu, _ = _timed(job, dagster)
            print(
                f"{label}: CLI {cli_wall:.1f} s (CPU {cli_cpu:.1f} s); dagster job execute "
                f"{job_wall:.1f} s (CPU {job_cpu:.1f} s); ratio {job_wall / cli_wall:.2f}x; "
                f"the CLI's summary: {summary}",
                flush=True,
            )


if __name__ == "__main__":
    main()
