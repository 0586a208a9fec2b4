"""Incidents on the timeline of outcomes: runs that overlap cannot give a negative resolution."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.analytics_world import built, execution, rolled_back
from warehouse.schema import TERMINAL_EXECUTION_STATUSES

T = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)
H = timedelta(hours=1)
M = timedelta(minutes=1)
INCIDENTS = (
    "SELECT first_failed_execution_id, failed_at, failures, resolved_by_execution_id, "
    "resolved_at, time_to_resolution_ms, is_resolved FROM workflow_incidents "
    "ORDER BY failed_at"
)


def test_a_timed_out_run_is_resolved_by_the_first_success_that_ended_after_it(
    empty_database: Path,
) -> None:
    with rolled_back(empty_database) as con:
        # A run that hits the 24 h cap, and a short success created in the same second: on a
        # created_time timeline the success "resolved" the timeout 23 h 55 min before it ended.
        execution(con, "timeout", "wf", "1", "TIMED_OUT", T, T, T + 24 * H)
        execution(con, "quick", "wf", "1", "COMPLETED", T, T, T + 5 * M)
        # A failure and a success that end at the same millisecond: resolved in 0 ms.
        execution(con, "fail-b", "wf", "1", "FAILED", T + 2 * H, T + 2 * H, T + 3 * H)
        execution(con, "ok-b", "wf", "1", "COMPLETED", T + 2 * H, T + 2 * H, T + 3 * H)
        # Daily runs: the one after the timeout ended is the resolution.
        execution(con, "next", "wf", "1", "COMPLETED", T + 24 * H, T + 24 * H, T + 25 * H)
        # A failure nothing has fixed yet; a RUNNING run does not close it.
        execution(con, "last", "wf", "1", "FAILED", T + 30 * H, T + 30 * H, T + 31 * H)
        execution(con, "running", "wf", "1", "RUNNING", T + 32 * H, T + 32 * H, None)
        got = built(con).execute(INCIDENTS).fetchall()
        assert got == [
            ("fail-b", T + 3 * H, 1, "ok-b", T + 3 * H, 0, True),
            ("timeout", T + 24 * H, 1, "next", T + 25 * H, 3_600_000, True),
            ("last", T + 31 * H, 1, None, None, None, False),
        ]
        mttr = (
            built(con)
            .execute(
                "SELECT day, incidents, resolved, open, mttr_ms, max_time_to_resolution_ms "
                "FROM workflow_mttr_daily ORDER BY day"
            )
            .fetchall()
        )
        day1, day2 = T.date(), (T + 24 * H).date()
        assert mttr == [
            (day1, 1, 1, 0, 0, 0),
            (day2, 2, 1, 1, 3_600_000, 3_600_000),
        ]


runs = st.lists(
    st.tuples(
        st.sampled_from(TERMINAL_EXECUTION_STATUSES),
        st.integers(0, 48),  # created, hours after T
        st.integers(0, 25 * 60),  # duration, minutes (up to past the 24 h cap)
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(runs=runs)
def test_time_to_resolution_is_never_negative_and_uses_the_first_later_success(
    empty_database: Path, runs: list[tuple[str, int, int]]
) -> None:
    with rolled_back(empty_database) as con:
        ends = {}
        for i, (status, created_h, minutes) in enumerate(runs):
            created = T + created_h * H
            ends[f"r{i:02}"] = (status, created + minutes * M)
            execution(con, f"r{i:02}", "wf", "1", status, created, created, created + minutes * M)
        got = built(con).execute(INCIDENTS).fetchall()
        successes = sorted(end for status, end in ends.values() if status == "COMPLETED")
        failures = sorted(end for status, end in ends.values() if status != "COMPLETED")
        assert sum(r[2] for r in got) == len(failures)
        for first, failed_at, _, _, resolved_at, ttr, is_resolved in got:
            assert failed_at == ends[first][1]
            later = [s for s in successes if s >= failed_at]
            assert is_resolved == bool(later)
            if later:
                # The first success that ended at or after the first failure of the incident.
                assert resolved_at == later[0]
                assert ttr == (later[0] - failed_at) // timedelta(milliseconds=1) >= 0
