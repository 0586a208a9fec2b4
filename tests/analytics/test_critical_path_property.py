"""The critical-path CTE keeps one chain per (task, length); check it equals brute force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.analytics_world import built, definition, execution, rolled_back, task

START = datetime(2024, 5, 1, tzinfo=UTC)


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[int], list[list[int]]]:
    """Weights (ms) and, per task, dependencies on earlier tasks only (so no cycles)."""
    n = draw(st.integers(min_value=1, max_value=7))
    weights = [draw(st.integers(min_value=0, max_value=5)) * 1000 for _ in range(n)]
    deps = [sorted(draw(st.sets(st.integers(0, i - 1), max_size=3))) if i else [] for i in range(n)]
    return weights, deps


def _longest(weights: list[int], deps: list[list[int]]) -> int:
    """Every chain enumerated: the plain definition the SQL must match."""
    children: dict[int, list[int]] = {i: [] for i in range(len(weights))}
    for i, ds in enumerate(deps):
        for d in ds:
            children[d].append(i)

    def best_from(i: int) -> int:
        return weights[i] + max((best_from(c) for c in children[i]), default=0)

    return max(best_from(i) for i in range(len(weights)) if not deps[i])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(dags())
def test_critical_path_equals_brute_force(
    empty_database: Path, dag: tuple[list[int], list[list[int]]]
) -> None:
    weights, deps = dag
    with rolled_back(empty_database) as con:
        execution(con, "X", "w", "1", "COMPLETED", START, START, START, definition_hash="HX")
        for i, weight in enumerate(weights):
            definition(con, "HX", f"t{i}", [f"t{d}" for d in deps[i]])
            task(con, "X", f"t{i}", "COMPLETED", START, START + timedelta(milliseconds=weight))
        got = (
            built(con)
            .execute(
                "SELECT critical_path_ms, critical_path FROM critical_paths "
                "WHERE execution_id = 'X'"
            )
            .fetchall()
        )
    total, path = got[0]
    assert total == _longest(weights, deps)
    # The path is a real dependsOn chain whose weights add up to the total.
    indexes = [int(name[1:]) for name in path]
    assert not deps[indexes[0]]
    assert all(prev in deps[nxt] for prev, nxt in pairwise(indexes))
    assert sum(weights[i] for i in indexes) == total
