"""Flatten + write throughput with no network at all (task rows per second).

    python -m benchmarks.flatten_write [--executions 10000] [--batch-size 5000]

Details come from the simulator's world in-process (rendered to JSON bodies before the clock
starts), so this measures only the warehouse side of the ingest: ``flatten_details`` over the
bodies as received (decoding included), ``Warehouse.apply_batch`` (one DuckDB transaction per
batch) and the Parquet flush, the same calls and batch size the ingest makes. Prints one JSON
object.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.harness import HISTORY_DAYS, NOW_MS, PROJECT, size_world
from cdf_simulator import Simulator, SimulatorConfig
from cdf_simulator.config import RETENTION_MS
from ingest.executions import IngestSettings
from ingest.gc_tuning import tuned_for_ingest
from warehouse.flatten import flatten_details
from warehouse.parquet import flush_dirty_partitions
from warehouse.store import Warehouse
from warehouse.wire import DetailAnswer


def details(executions: int) -> list[DetailAnswer]:
    size = size_world(executions)
    sim = Simulator(
        SimulatorConfig(
            seed=1,
            project=PROJECT,
            workflows=size.workflows,
            executions_per_day=size.executions_per_day,
            history_days=HISTORY_DAYS,
            now_ms=NOW_MS,
            detail_cache_size=0,
        )
    )
    world = sim.world
    first = world.timeline.first_at_or_after(NOW_MS - RETENTION_MS + 1)
    last = world.timeline.first_after(NOW_MS)
    return [
        DetailAnswer(world.execution_id(world.timeline.keys[p]), world.detail_bytes(p, NOW_MS))
        for p in range(first, last)
    ]


def measure(records: list[DetailAnswer], batch_size: int, directory: Path) -> dict[str, Any]:
    flatten_s = apply_s = 0.0
    task_rows = 0
    # CPU of every thread of this process (DuckDB and Arrow run their own): against the wall
    # time it shows how much of the two cores the work already uses.
    cpu_start = time.process_time()
    # Under the ingest's collector settings, as the ingest runs these calls.
    with tuned_for_ingest(), Warehouse(directory) as wh:
        wh.ensure_schema()
        for i in range(0, len(records), batch_size):
            t0 = time.perf_counter()
            batch = flatten_details(records[i : i + batch_size], ingested_at=datetime.now(UTC))
            t1 = time.perf_counter()
            result = wh.apply_batch(batch)
            t2 = time.perf_counter()
            flatten_s += t1 - t0
            apply_s += t2 - t1
            task_rows += result.task_rows
        t3 = time.perf_counter()
        flushed = flush_dirty_partitions(wh)
        flush_s = time.perf_counter() - t3
    cpu_s = time.process_time() - cpu_start
    total = flatten_s + apply_s + flush_s
    return {
        "executions": len(records),
        "task_rows": task_rows,
        "flatten_s": flatten_s,
        "apply_s": apply_s,
        "flush_s": flush_s,
        "partitions": flushed.written,
        "total_s": total,
        "cpu_s": cpu_s,
        "task_rows_per_s": task_rows / total,
        "flatten_task_rows_per_s": task_rows / flatten_s,
        "apply_task_rows_per_s": task_rows / apply_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=IngestSettings().batch_size)
    args = parser.parse_args()
    records = details(args.executions)
    with tempfile.TemporaryDirectory(prefix="bench-flatten-") as tmp:
        print(json.dumps(measure(records, args.batch_size, Path(tmp))))


if __name__ == "__main__":
    main()
