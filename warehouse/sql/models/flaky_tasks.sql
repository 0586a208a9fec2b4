-- flaky_tasks
-- Description: tasks that fail and then succeed, in both forms a retry can take: within one
--   execution (several rows of the task, the last one COMPLETED) and across executions (the
--   task's outcome is a failure in one execution and a success in the next execution of the
--   same workflow that ran it, created within the window). The window is 24 h unless the
--   session sets `SET VARIABLE flaky_window_ms = <ms>`. A task is its `task_key`: the children
--   a dynamic task generates under new ids in every run are one task, whose outcome in an
--   execution is a failure when any of them ended failed, a success when all succeeded.
-- Grain: one row per (cdf_project, workflow_external_id, task_key) that has run at least once.
-- Columns: cdf_project, workflow_external_id, task_key, executions, successes, failures,
--   in_execution_retries, in_execution_recoveries, cross_execution_recoveries,
--   last_recovery_time, is_flaky.
WITH per_task AS (
    SELECT
        cdf_project,
        workflow_external_id,
        task_key,
        count(*) AS executions,
        count(*) FILTER (WHERE outcome = 'success') AS successes,
        count(*) FILTER (WHERE outcome = 'failure') AS failures,
        sum(retries)::BIGINT AS in_execution_retries,
        sum(recoveries)::BIGINT AS in_execution_recoveries,
        max(execution_created_time) FILTER (WHERE recoveries > 0)
            AS last_in_execution_recovery_time,
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
        FROM {{ ref('flaky_task_runs') }}
    )
    GROUP BY cdf_project, workflow_external_id, task_key
)
SELECT
    cdf_project,
    workflow_external_id,
    task_key,
    executions,
    successes,
    failures,
    in_execution_retries,
    in_execution_recoveries,
    cross_execution_recoveries,
    greatest(last_in_execution_recovery_time, last_cross_recovery_time) AS last_recovery_time,
    in_execution_recoveries > 0 OR cross_execution_recoveries > 0 AS is_flaky
FROM per_task
