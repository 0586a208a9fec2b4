"""Speed-up of history backfills from 1 to 4 partitions at once.

    .venv/bin/python -m benchmarks.backfill_parallel [--days 8] [--executions 8000]

Starts the simulator in its own process (40 ms per request, at most 64 requests in flight),
then backfills the same UTC days into fresh warehouses, each day in its own process as
Dagster's multiprocess executor runs a partition: first one day at a time, then 2 and 4 at
once. Each partition fetches into a scratch warehouse and merges under the writer lock.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.harness import NOW_MS, REPO, SimulatorProcess, size_world

DAY_MS = 86_400_000
CHILD = """
import sys
from pathlib import Path
from ingest.executions import IngestSettings
from ingest.runner import run_ingest
from ingest.settings import CdfSettings
start = int(sys.argv[2])
report = run_ingest(CdfSettings.load().cdf_config(), Path(sys.argv[1]),
                    IngestSettings(window_start_ms=start, window_end_ms=start + 86_400_000))
print(report.listed)
"""


def backfill(days: list[int], parallel: int, env: dict[str, str], directory: Path) -> float:
    def one(day_start: int) -> None:
        subprocess.run(
            [sys.executable, "-c", CHILD, str(directory), str(day_start)],
            env=env,
            cwd=REPO,
            check=True,
            capture_output=True,
        )

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        list(pool.map(one, days))
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=8)
    parser.add_argument("--executions", type=int, default=8000)
    args = parser.parse_args()
    size = size_world(args.executions)
    last_midnight = NOW_MS // DAY_MS * DAY_MS
    days = [last_midnight - (i + 2) * DAY_MS for i in range(args.days)]
    with SimulatorProcess(size, latency_ms=40, max_concurrent=64) as sim:
        env = {**os.environ, **sim.client_env()}
        print(f"world: {sim.visible():,} executions; backfilling {args.days} days", flush=True)
        results = {}
        for parallel in (1, 2, 4):
            with tempfile.TemporaryDirectory() as tmp:
                sim.reset_stats()
                seconds = backfill(days, parallel, env, Path(tmp) / "warehouse")
                stats = sim.stats()
            results[parallel] = seconds
            detail = stats.get("requests", {})
            print(
                f"{parallel} at once: {seconds:6.1f} s  speed-up {results[1] / seconds:4.2f}x"
                f"  requests {detail}",
                flush=True,
            )


if __name__ == "__main__":
    main()
