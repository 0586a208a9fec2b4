-- workflow_incidents
-- Description: an incident is a workflow's run of consecutive failed outcomes (FAILED,
--   TIMED_OUT, TERMINATED) on the timeline of outcomes: terminal executions ordered by the time
--   their outcome became known (end_time; start_time or created_time when CDF sent no end),
--   not by created_time. It opens at the end of its first failure and is resolved by the first
--   COMPLETED execution that ended after it. Time to resolution runs from the end of that first
--   failure to the end of that success, so it is never negative: a run that timed out after
--   24 h is resolved by the next success that ended after the timeout, not by a short success
--   created in the same second that ended hours before it. Running and unknown-status
--   executions neither open nor close an incident.
-- Grain: one row per incident (cdf_project, workflow_external_id, first_failed_execution_id).
-- Columns: cdf_project, workflow_external_id, day, first_failed_execution_id, failed_at, failures,
--   resolved_by_execution_id, resolved_at, time_to_resolution_ms, is_resolved,
--   resolved_within_window.
WITH outcomes AS (
    SELECT
        cdf_project,
        execution_id,
        workflow_external_id,
        is_success,
        -- When the outcome became known: the end, or the best earlier time if it is missing.
        coalesce(end_time, start_time, created_time) AS outcome_time
    FROM {{ ref('execution_facts') }}
    WHERE is_terminal
),
streaks AS (
    SELECT
        *,
        -- A new streak starts at every success; failures that end after the same success share
        -- it. The timeline is the outcome time, so a success always closes failures that ended
        -- before it; at the same millisecond failures sort first, so the success closes them.
        count(*) FILTER (WHERE is_success) OVER (
            PARTITION BY cdf_project, workflow_external_id
            ORDER BY outcome_time, is_success, execution_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS streak
    FROM outcomes
),
failure_streaks AS (
    SELECT
        cdf_project,
        workflow_external_id,
        streak,
        arg_min(execution_id, (outcome_time, execution_id)) AS first_failed_execution_id,
        min(outcome_time) AS failed_at,
        count(*) AS failures
    FROM streaks
    WHERE NOT is_success
    GROUP BY cdf_project, workflow_external_id, streak
),
resolutions AS (
    -- The success that closes streak n is the one that opens streak n + 1.
    SELECT cdf_project, workflow_external_id, streak - 1 AS streak, execution_id, outcome_time
    FROM streaks
    WHERE is_success
)
SELECT
    f.cdf_project,
    f.workflow_external_id,
    -- The UTC day the incident started (its first failure ended).
    (f.failed_at AT TIME ZONE 'UTC')::DATE AS day,
    f.first_failed_execution_id,
    f.failed_at,
    f.failures,
    r.execution_id AS resolved_by_execution_id,
    r.outcome_time AS resolved_at,
    date_sub('millisecond', f.failed_at, r.outcome_time) AS time_to_resolution_ms,
    r.execution_id IS NOT NULL AS is_resolved,
    -- A failure fixed by the next runs within the flakiness window (24 h unless
    -- `SET VARIABLE flaky_window_ms`) looks like a flaky workflow rather than an outage.
    date_sub('millisecond', f.failed_at, r.outcome_time)
        <= coalesce(getvariable('flaky_window_ms')::BIGINT, 86400000) AS resolved_within_window
FROM failure_streaks AS f
LEFT JOIN resolutions AS r
    ON r.cdf_project = f.cdf_project
    AND r.workflow_external_id IS NOT DISTINCT FROM f.workflow_external_id
    AND r.streak = f.streak
