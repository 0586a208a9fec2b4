"""task_hot_spots adds its counts up from task_key_runs (one row per run and key) and computes
its distinct externalIds and percentiles in aggregations of their own, joined on the row's key;
check it against the plain definition (one GROUP BY with every aggregate), with dynamic
children, generated and missing task keys, durations that end before they start or never end,
and task rows whose execution row is missing (workflow NULL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.analytics_world import built, execution, rolled_back, task

START = datetime(2024, 5, 1, tzinfo=UTC)
STATUSES = ("COMPLETED", "COMPLETED_WITH_ERRORS", "FAILED", "TIMED_OUT", "SKIPPED", "IN_PROGRESS")
FINISHED = (
    "'COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED', 'FAILED_WITH_TERMINAL_ERROR', "
    "'TIMED_OUT', 'SKIPPED', 'CANCELED', 'CANCELLED'"
)

PLAIN = f"""
WITH task_rows AS (
    SELECT t.cdf_project, e.workflow_external_id, t.execution_id,
        coalesce(t.task_key, t.task_external_id) AS task_key, t.task_external_id,
        t.parent_task_external_id, t.status,
        CASE WHEN t.end_time >= t.start_time
            THEN date_sub('millisecond', t.start_time, t.end_time) END AS duration_ms
    FROM task_executions AS t
    LEFT JOIN workflow_executions AS e USING (cdf_project, execution_id)
),
levelled AS (
    SELECT 'task' AS level, task_key AS grouped_id, parent_task_external_id AS parent, *
    FROM task_rows
    UNION ALL
    SELECT 'children', parent_task_external_id, NULL, *
    FROM task_rows
    WHERE parent_task_external_id IS NOT NULL
)
SELECT cdf_project, workflow_external_id, level, grouped_id,
    count(DISTINCT task_external_id), min(parent), count(*), count(DISTINCT execution_id),
    count(*) FILTER (WHERE status IN ({FINISHED})),
    count(*) FILTER (WHERE status = 'COMPLETED'),
    count(*) FILTER (WHERE status IN ('FAILED', 'FAILED_WITH_TERMINAL_ERROR')),
    count(*) FILTER (WHERE status = 'COMPLETED_WITH_ERRORS'),
    count(*) FILTER (WHERE status = 'TIMED_OUT'),
    count(*) FILTER (WHERE status = 'SKIPPED'),
    count(*) FILTER (WHERE status IN ('IN_PROGRESS', 'SCHEDULED')),
    round(quantile_cont(duration_ms, 0.50))::BIGINT,
    round(quantile_cont(duration_ms, 0.95))::BIGINT
FROM levelled
GROUP BY ALL
"""
MODEL = """
SELECT cdf_project, workflow_external_id, level, task_key, external_ids,
    parent_task_external_id, runs, executions, finished, completed, failed,
    completed_with_errors, timed_out, skipped, in_progress, p50_duration_ms, p95_duration_ms
FROM task_hot_spots
"""

# A task row: (externalId, status, duration in seconds or None for no end, -1 for an end before
# its start). "g_1" and "g_2" are generated children of kind "g" under parent "fan", and "g" a
# task named as their kind (so a key can fold its own id and generated ones); "x" has no
# task_key stored (the flattener's key missing), so its externalId is its key.
task_rows = st.lists(
    st.tuples(
        st.sampled_from(["a", "a", "b", "fan", "g", "g_1", "g_2", "x"]),
        st.sampled_from(STATUSES),
        st.none() | st.just(-1) | st.integers(0, 600),
    ),
    min_size=1,
    max_size=4,
)
# An execution: project, workflow (None: no execution row), and its task rows.
executions = st.lists(
    st.tuples(
        st.sampled_from(["p1", "p1", "p2"]),
        st.none() | st.sampled_from(["w1", "w1", "w2"]),
        task_rows,
    ),
    min_size=1,
    max_size=10,
)


@settings(max_examples=120, deadline=None)
@given(executions)
def test_task_hot_spots_equals_the_plain_definition(
    empty_database: Path, drawn: list[tuple[str, str | None, list[tuple[str, str, int | None]]]]
) -> None:
    with rolled_back(empty_database) as con:
        for i, (project, workflow, tasks) in enumerate(drawn):
            execution_id = f"E{i}"
            created = START + timedelta(hours=i)
            if workflow is not None:
                execution(
                    con, execution_id, workflow, "1", "COMPLETED", created, created, None,
                    project=project,
                )  # fmt: skip
            for xid, status, seconds in tasks:
                end = None if seconds is None else created + timedelta(seconds=seconds)
                generated = xid.startswith("g_")
                task(
                    con,
                    execution_id,
                    xid,
                    status,
                    created,
                    end,
                    parent="fan" if generated else None,
                    project=project,
                    task_key=None if xid == "x" else xid.split("_")[0],
                )
        got = sorted(built(con).execute(MODEL).fetchall(), key=repr)
        want = sorted(con.execute(PLAIN).fetchall(), key=repr)
    assert got == want
    assert got, "every drawn world has task rows"
