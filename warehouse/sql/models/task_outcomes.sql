-- task_outcomes
-- Description: one row per task externalId per execution, folding the several rows a retried
--   task can show in executedTasks (the `attempt` column numbers them) into its final outcome.
--   Attempts are rows of the same externalId (a retried generated child keeps its id), so the
--   grain stays the externalId; `task_key` names the kind of task for views that group runs.
-- Grain: one row per (cdf_project, execution_id, task_external_id).
-- Columns: cdf_project, execution_id, workflow_external_id, workflow_version, execution_created_time, day,
--   task_external_id, task_key, parent_task_external_id, attempts, failed_attempts, first_status,
--   final_status, outcome ('success' | 'failure' | 'other'), recovered, first_start_time,
--   last_end_time, total_duration_ms.
{{ config(materialized='incremental', unique_key=['cdf_project', 'execution_id'], parquet='day') }}
WITH attempts AS (
    SELECT
        cdf_project,
        execution_id,
        task_external_id,
        coalesce(task_key, task_external_id) AS task_key,
        parent_task_external_id,
        status,
        start_time,
        end_time,
        -- The attempts' order: `attempt` (from the flattener), then start time, then id (which
        -- makes it total for rows written without `attempt`); NULLs last. A struct compares
        -- field by field, and none of its fields is NULL.
        {
            'attempt_unknown': attempt IS NULL,
            'attempt': coalesce(attempt, 0),
            'start_unknown': start_time IS NULL,
            'start': coalesce(start_time, TIMESTAMPTZ '1970-01-01 00:00:00+00'),
            'id': task_execution_id
        } AS attempt_order
    FROM {{ source('task_executions') }}
),
folded AS (
    -- One aggregate folds the attempts. A window numbering them first (then arg_min/arg_max
    -- by that number) gives the same rows but sorts every task row, which is what made the
    -- view slow on a large warehouse (benchmarks/RESULTS.md).
    SELECT
        cdf_project,
        execution_id,
        task_external_id,
        min(task_key) AS task_key,
        min(parent_task_external_id) AS parent_task_external_id,
        count(*) AS attempts,
        count(*) FILTER (WHERE status IN (
            'FAILED', 'FAILED_WITH_TERMINAL_ERROR', 'TIMED_OUT', 'COMPLETED_WITH_ERRORS'))
            AS failed_attempts,
        arg_min(status, attempt_order) AS first_status,
        arg_max(status, attempt_order) AS final_status,
        min(start_time) AS first_start_time,
        max(end_time) AS last_end_time,
        -- Attempts run one after the other, so their durations add up; NULL when none is known.
        sum(CASE WHEN end_time >= start_time
            THEN date_sub('millisecond', start_time, end_time) END)::BIGINT AS total_duration_ms
    FROM attempts
    GROUP BY cdf_project, execution_id, task_external_id
)
SELECT
    f.cdf_project,
    f.execution_id,
    e.workflow_external_id,
    e.workflow_version,
    e.created_time AS execution_created_time,
    (e.created_time AT TIME ZONE 'UTC')::DATE AS day,
    f.task_external_id,
    f.task_key,
    f.parent_task_external_id,
    f.attempts,
    f.failed_attempts,
    f.first_status,
    f.final_status,
    CASE
        WHEN f.final_status = 'COMPLETED' THEN 'success'
        WHEN f.final_status IN (
            'FAILED', 'FAILED_WITH_TERMINAL_ERROR', 'TIMED_OUT', 'COMPLETED_WITH_ERRORS')
            THEN 'failure'
        ELSE 'other'
    END AS outcome,
    f.final_status = 'COMPLETED' AND f.failed_attempts > 0 AS recovered,
    f.first_start_time,
    f.last_end_time,
    f.total_duration_ms
FROM folded AS f
LEFT JOIN {{ source('workflow_executions') }} AS e USING (cdf_project, execution_id)
