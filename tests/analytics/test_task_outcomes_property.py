"""task_outcomes folds a task's attempts with one aggregate; check it against the plain
definition (a window numbering the attempts, then first and last), ties and NULLs included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.analytics_world import built, execution, rolled_back, task

START = datetime(2024, 5, 1, tzinfo=UTC)
FAILED = ("FAILED", "FAILED_WITH_TERMINAL_ERROR", "TIMED_OUT", "COMPLETED_WITH_ERRORS")
STATUSES = ("COMPLETED", "IN_PROGRESS", "SKIPPED", "CANCELED", *FAILED)

# The definition the view must match: attempts numbered by a window in the documented order
# (attempt, then start time, then id; NULLs last), then the first and the last taken.
PLAIN = """
WITH ordered AS (
    SELECT t.*,
        row_number() OVER (
            PARTITION BY t.cdf_project, t.execution_id, t.task_external_id
            ORDER BY t.attempt NULLS LAST, t.start_time NULLS LAST, t.task_execution_id
        ) AS n,
        CASE WHEN t.end_time >= t.start_time
            THEN date_sub('millisecond', t.start_time, t.end_time) END AS row_duration_ms
    FROM task_executions AS t
)
SELECT o.cdf_project, o.execution_id, e.workflow_external_id, e.workflow_version,
    e.created_time, (e.created_time AT TIME ZONE 'UTC')::DATE, o.task_external_id,
    min(o.parent_task_external_id), count(*),
    count(*) FILTER (WHERE o.status IN ?),
    arg_min(o.status, o.n), arg_max(o.status, o.n),
    min(o.start_time), max(o.end_time), sum(o.row_duration_ms)::BIGINT
FROM ordered AS o
LEFT JOIN workflow_executions AS e USING (cdf_project, execution_id)
GROUP BY ALL
"""
VIEW = """
SELECT cdf_project, execution_id, workflow_external_id, workflow_version,
    execution_created_time, day, task_external_id, parent_task_external_id, attempts,
    failed_attempts, first_status, final_status, first_start_time, last_end_time,
    total_duration_ms
FROM task_outcomes
"""

Row = tuple[str, str, str, int | None, int | None, int | None, str | None]
rows = st.lists(
    st.tuples(
        st.sampled_from(["X", "Y", "Z"]),  # Z has no execution row
        st.sampled_from(["a", "b"]),
        st.sampled_from(STATUSES),
        st.none() | st.integers(1, 3),  # attempt: ties and NULLs on purpose
        st.none() | st.integers(0, 2),  # start, in seconds
        st.none() | st.integers(0, 4),  # end, in seconds
        st.none() | st.just("parent"),
    ),
    max_size=14,
)


def _at(seconds: int | None) -> datetime | None:
    return None if seconds is None else START + timedelta(seconds=seconds)


Row = tuple[str, str, str, int | None, int | None, int | None, str | None]


@settings(max_examples=150, deadline=None)
@given(rows)
def test_task_outcomes_equals_the_plain_definition(empty_database: Path, drawn: list[Row]) -> None:
    with rolled_back(empty_database) as con:
        execution(con, "X", "w", "1", "COMPLETED", START, START, START)
        execution(con, "Y", "w", "2", "FAILED", START, START, None)
        for execution_id, xid, status, attempt, start, end, parent in drawn:
            times = _at(start), _at(end)
            task(con, execution_id, xid, status, *times, parent=parent, attempt=attempt)
        got = sorted(built(con).execute(VIEW).fetchall(), key=repr)
        want = sorted(con.execute(PLAIN, [list(FAILED)]).fetchall(), key=repr)
    assert got == want
