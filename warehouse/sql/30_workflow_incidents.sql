-- workflow_incidents
-- Description: an incident is a workflow's run of consecutive failed executions (FAILED,
--   TIMED_OUT, TERMINATED), ordered by created_time, ended by its next COMPLETED execution.
--   Time to resolution runs from the end of the first failure to the end of that success.
--   Running and unknown-status executions neither open nor close an incident.
-- Grain: one row per incident (cdf_project, workflow_external_id, first_failed_execution_id).
-- Depends: execution_facts.
-- Columns: cdf_project, workflow_external_id, day, first_failed_execution_id, failed_at, failures,
--   resolved_by_execution_id, resolved_at, time_to_resolution_ms, is_resolved,
--   resolved_within_window.
CREATE OR REPLACE VIEW workflow_incidents AS
WITH outcomes AS (
    SELECT
        cdf_project,
        execution_id,
        workflow_external_id,
        created_time,
        is_success,
        -- When the outcome became known: the end, or the best earlier time if it is missing.
        coalesce(end_time, start_time, created_time) AS outcome_time,
        -- A new streak starts at every success; failures after the same success share it.
        count(*) FILTER (WHERE is_success) OVER (
            PARTITION BY cdf_project, workflow_external_id
            ORDER BY created_time, execution_id
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS streak
    FROM execution_facts
    WHERE is_terminal
),
failure_streaks AS (
    SELECT
        cdf_project,
        workflow_external_id,
        streak,
        arg_min(execution_id, (created_time, execution_id)) AS first_failed_execution_id,
        min(created_time) AS first_failed_created_time,
        arg_min(outcome_time, (created_time, execution_id)) AS failed_at,
        count(*) AS failures
    FROM outcomes
    WHERE NOT is_success
    GROUP BY cdf_project, workflow_external_id, streak
),
resolutions AS (
    -- The success that closes streak n is the one that opens streak n + 1.
    SELECT cdf_project, workflow_external_id, streak - 1 AS streak, execution_id, outcome_time
    FROM outcomes
    WHERE is_success
)
SELECT
    f.cdf_project,
    f.workflow_external_id,
    (f.first_failed_created_time AT TIME ZONE 'UTC')::DATE AS day,
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
    AND r.streak = f.streak;
