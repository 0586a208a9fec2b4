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
WITH decided AS (
    -- Only decided outcomes form the sequence: a skipped or running task neither breaks nor
    -- makes a failure-then-success pair.
    SELECT
        *,
        lead(outcome) OVER w AS next_outcome,
        lead(execution_created_time) OVER w AS next_created_time
    FROM task_outcomes
    WHERE outcome IN ('success', 'failure')
    WINDOW w AS (
        PARTITION BY cdf_project, workflow_external_id, task_external_id
        ORDER BY execution_created_time, execution_id
    )
),
cross_recoveries AS (
    SELECT
        cdf_project,
        workflow_external_id,
        task_external_id,
        count(*) AS cross_execution_recoveries,
        max(next_created_time) AS last_cross_recovery_time
    FROM decided
    WHERE outcome = 'failure'
        AND next_outcome = 'success'
        AND date_sub('millisecond', execution_created_time, next_created_time)
            <= coalesce(getvariable('flaky_window_ms')::BIGINT, 86400000)
    GROUP BY ALL
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
        max(execution_created_time) FILTER (WHERE recovered) AS last_in_execution_recovery_time
    FROM task_outcomes
    GROUP BY ALL
)
SELECT
    p.cdf_project,
    p.workflow_external_id,
    p.task_external_id,
    p.executions,
    p.successes,
    p.failures,
    p.in_execution_retries,
    p.in_execution_recoveries,
    coalesce(c.cross_execution_recoveries, 0) AS cross_execution_recoveries,
    greatest(p.last_in_execution_recovery_time, c.last_cross_recovery_time)
        AS last_recovery_time,
    p.in_execution_recoveries > 0 OR coalesce(c.cross_execution_recoveries, 0) > 0 AS is_flaky
FROM per_task AS p
LEFT JOIN cross_recoveries AS c
    ON c.cdf_project = p.cdf_project
    AND c.workflow_external_id IS NOT DISTINCT FROM p.workflow_external_id
    AND c.task_external_id = p.task_external_id;
