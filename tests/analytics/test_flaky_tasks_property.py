"""flaky_tasks reads task_outcomes once, stepping over undecided outcomes with IGNORE NULLS;
check it against the plain definition (the decided outcomes filtered first, then read again
for the per-task counts), with ties, missing executions and other outcomes in the way. A task is
its task_key: generated children of one kind in one execution make one outcome (a failure when
any failed, a success when all succeeded)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.support.analytics_world import built, execution, rolled_back, task

START = datetime(2024, 5, 1, tzinfo=UTC)
STATUSES = ("COMPLETED", "FAILED", "TIMED_OUT", "SKIPPED", "IN_PROGRESS")

PLAIN = """
WITH keyed AS (
    SELECT cdf_project, workflow_external_id, task_key AS task_external_id, execution_id,
        min(execution_created_time) AS execution_created_time,
        CASE
            WHEN count(*) FILTER (WHERE outcome = 'failure') > 0 THEN 'failure'
            WHEN count(*) FILTER (WHERE outcome <> 'success') = 0 THEN 'success'
            ELSE 'other'
        END AS outcome,
        count(*) FILTER (WHERE attempts > 1) AS retries,
        count(*) FILTER (WHERE recovered) AS recoveries
    FROM task_outcomes
    GROUP BY ALL
),
decided AS (
    SELECT *,
        lead(outcome) OVER w AS next_outcome,
        lead(execution_created_time) OVER w AS next_created_time
    FROM keyed
    WHERE outcome IN ('success', 'failure')
    WINDOW w AS (
        PARTITION BY cdf_project, workflow_external_id, task_external_id
        ORDER BY execution_created_time, execution_id
    )
),
cross_recoveries AS (
    SELECT cdf_project, workflow_external_id, task_external_id,
        count(*) AS cross_execution_recoveries,
        max(next_created_time) AS last_cross_recovery_time
    FROM decided
    WHERE outcome = 'failure' AND next_outcome = 'success'
        AND date_sub('millisecond', execution_created_time, next_created_time)
            <= coalesce(getvariable('flaky_window_ms')::BIGINT, 86400000)
    GROUP BY ALL
),
per_task AS (
    SELECT cdf_project, workflow_external_id, task_external_id,
        count(*) AS executions,
        count(*) FILTER (WHERE outcome = 'success') AS successes,
        count(*) FILTER (WHERE outcome = 'failure') AS failures,
        sum(retries) AS in_execution_retries,
        sum(recoveries) AS in_execution_recoveries,
        max(execution_created_time) FILTER (WHERE recoveries > 0)
            AS last_in_execution_recovery_time
    FROM keyed
    GROUP BY ALL
)
SELECT p.cdf_project, p.workflow_external_id, p.task_external_id, p.executions, p.successes,
    p.failures, p.in_execution_retries, p.in_execution_recoveries,
    coalesce(c.cross_execution_recoveries, 0),
    greatest(p.last_in_execution_recovery_time, c.last_cross_recovery_time),
    p.in_execution_recoveries > 0 OR coalesce(c.cross_execution_recoveries, 0) > 0
FROM per_task AS p
LEFT JOIN cross_recoveries AS c
    ON c.cdf_project = p.cdf_project
    AND c.workflow_external_id IS NOT DISTINCT FROM p.workflow_external_id
    AND c.task_external_id = p.task_external_id
"""

# Per execution: its CDF project, its workflow, its created time in hours (ties on purpose;
# None: no execution row, so no workflow either), and its task rows as (task, status) in
# attempt order. "g_1" and "g_2" are generated children of one kind (task_key "g").
executions = st.lists(
    st.tuples(
        st.sampled_from(["p1", "p1", "p2"]),
        st.sampled_from(["w1", "w1", "w1", "w2"]),
        st.none() | st.integers(0, 30) | st.integers(0, 4),
        st.lists(
            st.tuples(
                st.sampled_from(["a", "a", "a", "b", "g_1", "g_2"]), st.sampled_from(STATUSES)
            ),
            min_size=1,
            max_size=3,
        ),
    ),
    min_size=2,
    max_size=12,
)
# A failure, then a skip, then a success: the skip must not break the pair.
FAILURE_SKIP_SUCCESS = [
    ("p1", "w1", 0, [("a", "FAILED")]),
    ("p1", "w1", 1, [("a", "SKIPPED")]),
    ("p1", "w1", 2, [("a", "COMPLETED")]),
]


@settings(max_examples=150, deadline=None)
@given(executions, st.sampled_from([None, 7_200_000]))
@example(FAILURE_SKIP_SUCCESS, None)
def test_flaky_tasks_equals_the_plain_definition(
    empty_database: Path,
    drawn: list[tuple[str, str, int | None, list[tuple[str, str]]]],
    window_ms: int | None,
) -> None:
    with rolled_back(empty_database) as con:
        if window_ms is not None:
            con.execute("SET VARIABLE flaky_window_ms = ?", [window_ms])
        for i, (project, workflow, hours, tasks) in enumerate(drawn):
            execution_id = f"E{i}"
            if hours is not None:
                created = START + timedelta(hours=hours)
                execution(
                    con,
                    execution_id,
                    workflow,
                    "1",
                    "COMPLETED",
                    created,
                    created,
                    None,
                    project=project,
                )
            for attempt, (xid, status) in enumerate(tasks, start=1):
                key = xid.split("_")[0]
                task(
                    con,
                    execution_id,
                    xid,
                    status,
                    None,
                    None,
                    attempt=attempt,
                    project=project,
                    task_key=key,
                )
        got = sorted(built(con).execute("SELECT * FROM flaky_tasks").fetchall(), key=repr)
        want = sorted(con.execute(PLAIN).fetchall(), key=repr)
    assert got == want
