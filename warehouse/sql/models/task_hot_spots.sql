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
-- NOT MATERIALIZED: the aggregations below each read it again (a cheap scan) rather than hold
-- every task row twice in memory.
levelled AS NOT MATERIALIZED (
    SELECT 'task' AS level, task_key AS grouped_id, parent_task_external_id, *
        EXCLUDE (parent_task_external_id)
    FROM task_rows
    UNION ALL
    SELECT 'children' AS level, parent_task_external_id AS grouped_id, NULL, *
        EXCLUDE (parent_task_external_id)
    FROM task_rows
    WHERE parent_task_external_id IS NOT NULL
),
-- The distinct counts and the percentiles are separate aggregations joined on the row's key:
-- in one GROUP BY with the counts, DuckDB's distinct aggregates take twice as long and spill.
counts AS (
    SELECT
        cdf_project,
        workflow_external_id,
        level,
        grouped_id,
        -- The parent of a child task (the first seen if it ever moved); NULL for top-level tasks
        -- and for 'children' rows.
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
            AS unknown_status,
        -- Rates over finished runs: a task still in progress has no outcome yet. A skipTask
        -- failure (COMPLETED_WITH_ERRORS) is a failure of the task even though the workflow went on.
        (failed + completed_with_errors) / nullif(finished, 0) AS failure_rate,
        timed_out / nullif(finished, 0) AS timeout_rate,
        skipped / nullif(finished, 0) AS skip_rate
    FROM levelled
    GROUP BY cdf_project, workflow_external_id, level, grouped_id
),
executions AS (
    SELECT cdf_project, workflow_external_id, level, grouped_id, count(*) AS executions
    FROM (SELECT DISTINCT cdf_project, workflow_external_id, level, grouped_id, execution_id
          FROM levelled)
    GROUP BY ALL
),
external_ids AS (
    -- How many distinct externalIds the row folds (1 for a task named in the definition).
    SELECT cdf_project, workflow_external_id, level, grouped_id,
        count(DISTINCT task_external_id) AS external_ids
    FROM levelled
    GROUP BY ALL
),
durations AS (
    SELECT cdf_project, workflow_external_id, level, grouped_id,
        quantile_cont(duration_ms, [0.50, 0.95]) AS quantiles
    FROM levelled
    GROUP BY ALL
)
SELECT
    c.cdf_project,
    c.workflow_external_id,
    c.level,
    c.grouped_id AS task_key,
    i.external_ids,
    c.parent_task_external_id,
    c.runs,
    e.executions,
    c.* EXCLUDE (cdf_project, workflow_external_id, level, grouped_id,
        parent_task_external_id, runs),
    round(d.quantiles[1])::BIGINT AS p50_duration_ms,
    round(d.quantiles[2])::BIGINT AS p95_duration_ms
FROM counts AS c
-- Every aggregation has one row per key; the workflow is NULL for tasks without their
-- execution's row (and a key may be NULL in an odd record), hence IS NOT DISTINCT FROM.
JOIN executions AS e
    ON e.cdf_project = c.cdf_project AND e.level = c.level
    AND e.workflow_external_id IS NOT DISTINCT FROM c.workflow_external_id
    AND e.grouped_id IS NOT DISTINCT FROM c.grouped_id
JOIN external_ids AS i
    ON i.cdf_project = c.cdf_project AND i.level = c.level
    AND i.workflow_external_id IS NOT DISTINCT FROM c.workflow_external_id
    AND i.grouped_id IS NOT DISTINCT FROM c.grouped_id
JOIN durations AS d
    ON d.cdf_project = c.cdf_project AND d.level = c.level
    AND d.workflow_external_id IS NOT DISTINCT FROM c.workflow_external_id
    AND d.grouped_id IS NOT DISTINCT FROM c.grouped_id
