-- flaky_tasks
-- Description: tasks that fail and then succeed, in both forms a retry can take: within one
--   execution (several rows of the task, the last one COMPLETED) and across executions (the
--   task's final outcome is a failure in one execution and a success in the next execution of
--   the same workflow that ran it, created within the window). The window is 24 h unless the
--   session sets `SET VARIABLE flaky_window_ms = <ms>`.
-- Grain: one row per (cdf_project, workflow_external_id, task_external_id) that has run at
--   least once.
-- Depends: task_outcomes.
-- Columns: cdf_project, workflow_external_id, task_external_id, executions, successes, failures,
--   in_execution_retries, in_execution_recoveries, cross_execution_recoveries,
--   last_recovery_time, is_flaky.
CREATE OR REPLACE VIEW flaky_tasks AS
WITH sequenced AS (
    SELECT
        cdf_project,
        workflow_external_id,
        task_external_id,
        execution_created_time,
        outcome,
        attempts,
        recovered,
        -- The next decided outcome of the task in the workflow. Only decided outcomes form the
        -- sequence: a skipped or running task neither breaks nor makes a failure-then-success
        -- pair, so IGNORE NULLS steps over them. (One pass over task_outcomes: a second one
        -- for the per-task counts computed the view twice.)
        lead(
            CASE WHEN outcome IN ('success', 'failure')
                THEN {'outcome': outcome, 'created_time': execution_created_time} END
            IGNORE NULLS
        ) OVER (
            PARTITION BY cdf_project, workflow_external_id, task_external_id
            ORDER BY execution_created_time, execution_id
        ) AS next_decided
    FROM task_outcomes
),
per_task AS (
    SELECT
        cdf_project,
        workflow_external_id,
        task_external_id,
        count(*) AS executions,
        count(*) FILTER (WHERE outcome = 'success') AS successes,
        count(*) FILTER (WHERE outcome = 'failure') AS failures,
        count(*) FILTER (WHERE attempts > 1) AS in_execution_retries,
        count(*) FILTER (WHERE recovered) AS in_execution_recoveries,
        max(execution_created_time) FILTER (WHERE recovered) AS last_in_execution_recovery_time,
        count(*) FILTER (WHERE cross_recovery) AS cross_execution_recoveries,
        max(next_decided.created_time) FILTER (WHERE cross_recovery) AS last_cross_recovery_time
    FROM (
        SELECT
            *,
            outcome = 'failure'
            AND next_decided.outcome = 'success'
            AND date_sub('millisecond', execution_created_time, next_decided.created_time)
                <= coalesce(getvariable('flaky_window_ms')::BIGINT, 86400000)
                AS cross_recovery
        FROM sequenced
    )
    GROUP BY cdf_project, workflow_external_id, task_external_id
)
SELECT
    cdf_project,
    workflow_external_id,
    task_external_id,
    executions,
    successes,
    failures,
    in_execution_retries,
    in_execution_recoveries,
    cross_execution_recoveries,
    greatest(last_in_execution_recovery_time, last_cross_recovery_time) AS last_recovery_time,
    in_execution_recoveries > 0 OR cross_execution_recoveries > 0 AS is_flaky
FROM per_task;
