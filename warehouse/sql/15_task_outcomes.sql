-- task_outcomes
-- Description: one row per task externalId per execution, folding the several rows a retried
--   task can show in executedTasks (the `attempt` column numbers them) into its final outcome.
-- Grain: one row per (cdf_project, execution_id, task_external_id).
-- Depends: task_executions, workflow_executions.
-- Columns: cdf_project, execution_id, workflow_external_id, workflow_version, execution_created_time, day,
--   task_external_id, parent_task_external_id, attempts, failed_attempts, first_status,
--   final_status, outcome ('success' | 'failure' | 'other'), recovered, first_start_time,
--   last_end_time, total_duration_ms.
CREATE OR REPLACE VIEW task_outcomes AS
WITH ordered AS (
    SELECT
        t.*,
        -- `attempt` comes from the flattener; start time and id make the order total even for
        -- rows written without it.
        row_number() OVER (
            PARTITION BY t.cdf_project, t.execution_id, t.task_external_id
            ORDER BY t.attempt NULLS LAST, t.start_time NULLS LAST, t.task_execution_id
        ) AS n,
        count(*) OVER (PARTITION BY t.cdf_project, t.execution_id, t.task_external_id) AS attempts,
        CASE WHEN t.end_time >= t.start_time
            THEN date_sub('millisecond', t.start_time, t.end_time) END AS row_duration_ms
    FROM task_executions AS t
)
SELECT
    o.cdf_project,
    o.execution_id,
    e.workflow_external_id,
    e.workflow_version,
    e.created_time AS execution_created_time,
    (e.created_time AT TIME ZONE 'UTC')::DATE AS day,
    o.task_external_id,
    min(o.parent_task_external_id) AS parent_task_external_id,
    max(o.attempts) AS attempts,
    count(*) FILTER (WHERE o.status IN (
        'FAILED', 'FAILED_WITH_TERMINAL_ERROR', 'TIMED_OUT', 'COMPLETED_WITH_ERRORS'))
        AS failed_attempts,
    arg_min(o.status, o.n) AS first_status,
    arg_max(o.status, o.n) AS final_status,
    CASE
        WHEN final_status = 'COMPLETED' THEN 'success'
        WHEN final_status IN (
            'FAILED', 'FAILED_WITH_TERMINAL_ERROR', 'TIMED_OUT', 'COMPLETED_WITH_ERRORS')
            THEN 'failure'
        ELSE 'other'
    END AS outcome,
    final_status = 'COMPLETED' AND failed_attempts > 0 AS recovered,
    min(o.start_time) AS first_start_time,
    max(o.end_time) AS last_end_time,
    -- Attempts run one after the other, so their durations add up; NULL when none is known.
    sum(o.row_duration_ms)::BIGINT AS total_duration_ms
FROM ordered AS o
LEFT JOIN workflow_executions AS e USING (cdf_project, execution_id)
GROUP BY o.cdf_project, o.execution_id, e.workflow_external_id, e.workflow_version, e.created_time,
    o.task_external_id;
