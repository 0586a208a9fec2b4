-- task_key_runs
-- Description: per execution, each task key's rows counted by status, at both levels of
--   task_hot_spots: 'task' (task_key = the task's key, the externalId without a generated
--   suffix) and 'children' (task_key = the parent of dynamic and subworkflow children, folding
--   them). The per-execution part of task_hot_spots, kept per execution so a night computes it
--   for its new runs only, while task_hot_spots adds the parts of a workflow's whole history
--   (one row per execution and key makes the executions a count of rows, not a distinct count
--   over every task row).
-- Grain: one row per (cdf_project, execution_id, level, task_key).
-- Columns: cdf_project, execution_id, workflow_external_id, level, task_key,
--   parent_task_external_id, runs, finished, completed, failed, completed_with_errors,
--   timed_out, skipped, cancelled, in_progress, unknown_status.
{{ config(materialized='incremental', unique_key=['cdf_project', 'execution_id']) }}
WITH task_rows AS (
    SELECT
        t.cdf_project,
        t.execution_id,
        e.workflow_external_id,
        coalesce(t.task_key, t.task_external_id) AS task_key,
        t.parent_task_external_id,
        t.status
    FROM {{ source('task_executions') }} AS t
    -- LEFT JOIN: a task whose execution row is missing still counts (workflow NULL).
    LEFT JOIN {{ source('workflow_executions') }} AS e USING (cdf_project, execution_id)
),
levelled AS NOT MATERIALIZED (
    SELECT 'task' AS level, task_key AS grouped_id, parent_task_external_id,
        cdf_project, execution_id, workflow_external_id, status
    FROM task_rows
    UNION ALL
    SELECT 'children' AS level, parent_task_external_id AS grouped_id, NULL,
        cdf_project, execution_id, workflow_external_id, status
    FROM task_rows
    WHERE parent_task_external_id IS NOT NULL
)
SELECT
    cdf_project,
    execution_id,
    workflow_external_id,
    level,
    grouped_id AS task_key,
    -- The parent of a child task (the first seen if it moved); NULL for top-level tasks and
    -- for 'children' rows.
    min(parent_task_external_id) AS parent_task_external_id,
    count(*) AS runs,
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
        AS unknown_status
FROM levelled
-- The workflow follows from the execution; grouped by it so the row carries it.
GROUP BY cdf_project, execution_id, workflow_external_id, level, grouped_id
