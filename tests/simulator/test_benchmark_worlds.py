"""The benchmark's young world: the project of a grown world, fewer days old, all of it visible.

`benchmarks.nightly_analytics --size 10000 --per-day 300 --workflows 100` compares the nightly
run at 200,000 with the same project at 10,000, so the two worlds must differ by their age only.
"""

from __future__ import annotations

import pytest

from benchmarks.harness import HISTORY_DAYS, NOW_MS, PROJECT, grown_world
from cdf_simulator import Simulator, SimulatorConfig


@pytest.mark.slow
def test_a_young_world_is_the_grown_projects_first_weeks() -> None:
    young = grown_world(10_000, 300, workflows=100)
    grown = grown_world(200_000, 300)
    assert young.workflows == grown.workflows
    assert young.executions_per_day == grown.executions_per_day
    assert young.grown_days < 0 < grown.grown_days
    days = HISTORY_DAYS + young.grown_days
    assert young.flags()[-1] == str(days)
    # What the simulator started with those flags shows at the benchmark's clock.
    config = SimulatorConfig(
        seed=1,
        project=PROJECT,
        workflows=young.workflows,
        executions_per_day=young.executions_per_day,
        history_days=days,
        now_ms=NOW_MS,
    )
    visible = Simulator(config).world.count_visible(NOW_MS)
    assert visible == young.visible
    assert abs(visible - 10_000) / 10_000 < 0.05
    # A night's new runs arrive at the same pace in both, so a night brings the same work.
    assert young.per_day == pytest.approx(grown.per_day, rel=0.02)
    assert grown.per_day == pytest.approx(300, rel=0.1)
