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
-- The counts add up the per-execution parts in task_key_runs (one row per execution and key,
-- so the executions are a count of its rows). The distinct external ids and the percentiles
-- need the task rows: separate aggregations joined on the row's key (in one GROUP BY with the
-- counts, DuckDB's distinct aggregates take twice as long and spill).
sums AS (
    SELECT
        cdf_project,
        workflow_external_id,
        level,
        task_key AS grouped_id,
        min(parent_task_external_id) AS parent_task_external_id,
        sum(runs)::BIGINT AS runs,
        count(*) AS executions,
        sum(finished)::BIGINT AS finished,
        sum(completed)::BIGINT AS completed,
        sum(failed)::BIGINT AS failed,
        sum(completed_with_errors)::BIGINT AS completed_with_errors,
        sum(timed_out)::BIGINT AS timed_out,
        sum(skipped)::BIGINT AS skipped,
        sum(cancelled)::BIGINT AS cancelled,
        sum(in_progress)::BIGINT AS in_progress,
        sum(unknown_status)::BIGINT AS unknown_status
    FROM {{ ref('task_key_runs') }}
    GROUP BY cdf_project, workflow_external_id, level, task_key
),
counts AS (
    SELECT
        *,
        -- Rates over finished runs: a task still in progress has no outcome yet. A skipTask
        -- failure (COMPLETED_WITH_ERRORS) is a failure of the task even though the workflow went on.
        (failed + completed_with_errors) / nullif(finished, 0) AS failure_rate,
        timed_out / nullif(finished, 0) AS timeout_rate,
        skipped / nullif(finished, 0) AS skip_rate
    FROM sums
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
    c.* EXCLUDE (cdf_project, workflow_external_id, level, grouped_id,
        parent_task_external_id, runs),
    round(d.quantiles[1])::BIGINT AS p50_duration_ms,
    round(d.quantiles[2])::BIGINT AS p95_duration_ms
FROM counts AS c
-- Every aggregation has one row per key; the workflow is NULL for tasks without their
-- execution's row (and a key may be NULL in an odd record), hence IS NOT DISTINCT FROM.
JOIN external_ids AS i
    ON i.cdf_project = c.cdf_project AND i.level = c.level
    AND i.workflow_external_id IS NOT DISTINCT FROM c.workflow_external_id
    AND i.grouped_id IS NOT DISTINCT FROM c.grouped_id
JOIN durations AS d
    ON d.cdf_project = c.cdf_project AND d.level = c.level
    AND d.workflow_external_id IS NOT DISTINCT FROM c.workflow_external_id
    AND d.grouped_id IS NOT DISTINCT FROM c.grouped_id
