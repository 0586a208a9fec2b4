-- task_hot_spots
-- Description: per task of a workflow, how often it runs, fails, times out and is skipped, and
--   how long it takes. A task is its `task_key` (the externalId without a generated suffix), so
--   the children a dynamic task generates under new ids in every run make one row per kind.
--   Dynamic and subworkflow children appear twice: once under their own key (level 'task') and
--   once folded into one row for their parent task (level 'children', task_key = the parent's
--   externalId). Parents inferred by the flattener count like parents sent. Durations ignore
--   rows that end before they start (flag end_before_start).
-- Grain: one row per (cdf_project, workflow_external_id, level, task_key).
-- Columns: cdf_project, workflow_external_id, level, task_key, external_ids,
--   parent_task_external_id, runs,
--   executions, finished, completed, failed, completed_with_errors, timed_out, skipped,
--   cancelled, in_progress, unknown_status, failure_rate, timeout_rate, skip_rate,
--   p50_duration_ms, p95_duration_ms.
{{ config(materialized='incremental', unique_key=['cdf_project', 'workflow_external_id']) }}
WITH task_rows AS (
    SELECT
        t.cdf_project,
        e.workflow_external_id,
        t.execution_id,
        coalesce(t.task_key, t.task_external_id) AS task_key,
        t.task_external_id,
        t.parent_task_external_id,
        t.status,
        CASE WHEN t.end_time >= t.start_time
            THEN date_sub('millisecond', t.start_time, t.end_time) END AS duration_ms
    FROM {{ source('task_executions') }} AS t
    -- LEFT JOIN: a task whose execution row is missing still counts (workflow NULL).
    LEFT JOIN {{ source('workflow_executions') }} AS e USING (cdf_project, execution_id)
),
levelled AS (
    SELECT 'task' AS level, task_key AS grouped_id, parent_task_external_id, *
        EXCLUDE (parent_task_external_id)
    FROM task_rows
    UNION ALL
    SELECT 'children' AS level, parent_task_external_id AS grouped_id, NULL, *
        EXCLUDE (parent_task_external_id)
    FROM task_rows
    WHERE parent_task_external_id IS NOT NULL
)
SELECT
    cdf_project,
    workflow_external_id,
    level,
    grouped_id AS task_key,
    -- How many distinct externalIds the row folds (1 for a task named in the definition).
    count(DISTINCT task_external_id) AS external_ids,
    -- The parent of a child task (the first seen if it ever moved); NULL for top-level tasks
    -- and for 'children' rows.
    min(parent_task_external_id) AS parent_task_external_id,
    count(*) AS runs,
    count(DISTINCT execution_id) AS executions,
    count(*) FILTER (WHERE status IN (
        'COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED', 'FAILED_WITH_TERMINAL_ERROR',
        'TIMED_OUT', 'SKIPPED', 'CANCELED', 'CANCELLED')) AS finished,
    count(*) FILTER (WHERE status = 'COMPLETED') AS completed,
    count(*) FILTER (WHERE status IN ('FAILED', 'FAILED_WITH_TERMINAL_ERROR')) AS failed,
    count(*) FILTER (WHERE status = 'COMPLETED_WITH_ERRORS') AS completed_with_errors,
    count(*) FILTER (WHERE status = 'TIMED_OUT') AS timed_out,
    count(*) FILTER (WHERE status = 'SKIPPED') AS skipped,
    -- The docs spell it CANCELED, the SDK CANCELLED.
    count(*) FILTER (WHERE status IN ('CANCELED', 'CANCELLED')) AS cancelled,
    count(*) FILTER (WHERE status IN ('IN_PROGRESS', 'SCHEDULED')) AS in_progress,
    count(*) FILTER (WHERE status IS NULL OR status NOT IN (
        'COMPLETED', 'COMPLETED_WITH_ERRORS', 'FAILED', 'FAILED_WITH_TERMINAL_ERROR',
        'TIMED_OUT', 'SKIPPED', 'CANCELED', 'CANCELLED', 'IN_PROGRESS', 'SCHEDULED'))
        AS unknown_status,
    -- Rates over finished runs: a task still in progress has no outcome yet. A skipTask
    -- failure (COMPLETED_WITH_ERRORS) is a failure of the task even though the workflow went on.
    (failed + completed_with_errors) / nullif(finished, 0) AS failure_rate,
    timed_out / nullif(finished, 0) AS timeout_rate,
    skipped / nullif(finished, 0) AS skip_rate,
    round(quantile_cont(duration_ms, 0.50))::BIGINT AS p50_duration_ms,
    round(quantile_cont(duration_ms, 0.95))::BIGINT AS p95_duration_ms
FROM levelled
GROUP BY cdf_project, workflow_external_id, level, grouped_id
