"""A young world: the project of a grown world with only its last days of runs.

`benchmarks.nightly_analytics --size 10000 --per-day 300 --young-of 200000` compares the
nightly run at 200,000 with the same project at 10,000, so the two worlds must differ by the
runs before the young one's first day, and by nothing else: the same workflows and versions,
the same triggers, the same runs from that day on (the benchmark's nights included).
"""

from __future__ import annotations

import dataclasses

import pytest

from benchmarks.harness import DAY_MS, HISTORY_DAYS, NOW_MS, PROJECT, WorldSize, young_world
from cdf_simulator import Simulator, SimulatorConfig


def _world(size: WorldSize) -> Simulator:
    config = SimulatorConfig(
        seed=1,
        project=PROJECT,
        workflows=size.workflows,
        executions_per_day=size.executions_per_day,
        history_days=HISTORY_DAYS + size.grown_days,
        runs_from_days=size.runs_days,
        now_ms=NOW_MS,
    )
    return Simulator(config)


@pytest.mark.slow
def test_a_young_world_is_the_grown_project_with_its_last_days_of_runs() -> None:
    size = young_world(10_000, 300, of_size=200_000)
    grown = dataclasses.replace(size, runs_days=None)  # the grown world's flags
    assert size.runs_days is not None and 0 < size.runs_days < HISTORY_DAYS < size.grown_days
    assert size.flags()[-2:] == ["--runs-from-days", str(size.runs_days)]
    young_sim, grown_sim = _world(size), _world(grown)
    young, old = young_sim.world, grown_sim.world

    # The same project: workflows with the same versions and tasks, the same triggers' schedules.
    assert young.workflows == old.workflows
    assert young.triggers.keys() == old.triggers.keys()
    runs_start = NOW_MS - size.runs_days * DAY_MS
    for index, trigger in young.triggers.items():
        assert trigger.created_time == runs_start
        assert (trigger.pauses, trigger.incidents) == (
            old.triggers[index].pauses,
            old.triggers[index].incidents,
        )

    # The same runs from its first day on (the nights after NOW_MS too), none before it.
    first = old.timeline.first_at_or_after(runs_start)
    assert list(young.timeline.created) == list(old.timeline.created[first:])
    assert list(young.timeline.keys) == list(old.timeline.keys[first:])
    assert young.timeline.created[0] >= runs_start
    assert first > 0

    # What the benchmark was built for: about 10,000 visible, at the grown world's daily pace.
    assert young.count_visible(NOW_MS) == size.visible
    assert abs(size.visible - 10_000) / 10_000 < 0.05
    assert size.per_day == pytest.approx(old.count_visible(NOW_MS) / HISTORY_DAYS, rel=0.02)
