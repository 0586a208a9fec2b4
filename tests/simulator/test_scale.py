"""A world of a million executions: built quickly, compact, and served page by page."""

from __future__ import annotations

import time

from cdf_simulator import SimulatorConfig, World
from cdf_simulator.world import ExecutionFilter
from tests.support.simulator_api import NOW_MS


def test_million_execution_world() -> None:
    config = SimulatorConfig(
        seed=5,
        now_ms=NOW_MS,
        workflows=200,
        executions_per_day=11_200,
        history_days=90,
        future_days=1,
    )
    t0 = time.perf_counter()
    world = World(config, NOW_MS)
    build_s = time.perf_counter() - t0
    assert world.count_visible(NOW_MS) >= 1_000_000
    assert build_s < 20
    # 16 bytes per execution: createdTime and key, nothing else held per execution.
    assert world.timeline.memory_bytes() <= 17 * len(world.timeline)
    t0 = time.perf_counter()
    items, cursor = world.list_executions(ExecutionFilter(), 1000, None, NOW_MS)
    items2, _ = world.list_executions(ExecutionFilter(), 1000, cursor, NOW_MS)
    assert time.perf_counter() - t0 < 2
    assert len(items) == len(items2) == 1000
    assert not {i["id"] for i in items} & {i["id"] for i in items2}
    pos = world.find(items2[0]["id"])
    assert pos is not None and world.summary_item(pos, NOW_MS)["id"] == items2[0]["id"]
