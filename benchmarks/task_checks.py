"""What the data checks on ``task_executions`` cost at history scale, nightly and on their own.

    python -m benchmarks.task_checks [--executions 2000000] [--tasks 16] [--written 500]

Builds a warehouse of synthetic rows with DuckDB alone (no simulator, no flattening): the
executions and their task rows appended in creation order, as the ingest appends them, the
last ``--written`` executions stamped as written by tonight's run. Then runs every data check
of the task table twice: scoped, as the nightly job runs it (the rows written since the last
good run), and over the whole warehouse, as the UI's "Execute checks" does. Prints a markdown
table; each time is the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warehouse.data_checks import data_checks, run_data_check
from warehouse.store import Warehouse

PROJECT = "bench"
EXECUTIONS_SQL = """
INSERT INTO workflow_executions (cdf_project, execution_id, workflow_external_id, status,
                                 created_time, ingested_at)
SELECT ?, 'e' || lpad(i::VARCHAR, 9, '0'), 'wf-' || (i % 200), 'COMPLETED',
       TIMESTAMPTZ '2026-01-01' + to_milliseconds(i * 1000),
       CASE WHEN i >= ? THEN ?::TIMESTAMPTZ ELSE TIMESTAMPTZ '2026-01-01' END
FROM range(?) t(i)
"""
TASKS_SQL = """
INSERT INTO task_executions (cdf_project, task_execution_id, execution_id, task_external_id,
                             status, execution_created_time)
SELECT ?, md5((i * ? + j)::VARCHAR), 'e' || lpad(i::VARCHAR, 9, '0'), 'task-' || j,
       'COMPLETED', TIMESTAMPTZ '2026-01-01' + to_milliseconds(i * 1000)
FROM range(?) e(i), range(?) k(j)
ORDER BY i, j
"""


def build(directory: Path, executions: int, tasks: int, written: int, stamp: datetime) -> None:
    with Warehouse(directory, project=PROJECT) as wh:
        wh.ensure_schema()
        con = wh.connection
        con.execute(EXECUTIONS_SQL, [PROJECT, executions - written, stamp, executions])
        con.execute(TASKS_SQL, [PROJECT, tasks, executions, tasks])
        con.execute("CHECKPOINT")


def measure(directory: Path, since: datetime, repeat: int) -> list[tuple[str, str, float, float]]:
    rows = []
    with Warehouse(directory, project=PROJECT, read_only=True) as wh:
        for check in data_checks():
            if check.asset != "task_executions":
                continue
            times = {}
            for scope, bound in (("nightly", since), ("whole", None)):
                best = float("inf")
                for _ in range(repeat):
                    started = time.perf_counter()
                    found = run_data_check(wh.connection, check, since=bound)
                    best = min(best, time.perf_counter() - started)
                assert check.severity == "warn" or found.count == 0, (check.name, found)
                times[scope] = best
            rows.append((check.name, check.severity, times["nightly"], times["whole"]))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=2_000_000)
    parser.add_argument("--tasks", type=int, default=16, help="task rows per execution")
    parser.add_argument("--written", type=int, default=500, help="executions written tonight")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    stamp = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="task-checks-") as scratch:
        directory = Path(scratch) / "wh"
        started = time.perf_counter()
        build(directory, args.executions, args.tasks, args.written, stamp)
        built = time.perf_counter() - started
        rows = measure(directory, stamp - timedelta(seconds=1), args.repeat)
    print(
        f"{args.executions:,} executions, {args.executions * args.tasks:,} task rows, "
        f"{args.written} written tonight (built in {built:.0f} s)\n"
    )
    print("| check | severity | nightly (rows written) | on its own (whole warehouse) |")
    print("|---|---|---|---|")
    for name, severity, nightly, whole in rows:
        print(f"| `{name}` | {severity} | {nightly:.2f} s | {whole:.2f} s |")


if __name__ == "__main__":
    main()
