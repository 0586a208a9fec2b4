-- execution_facts
-- Description: one row per workflow execution with the derived facts every other analytics
--   view builds on: UTC day, status class, and the three durations recomputed from the raw
--   times (so every view uses exactly one definition of each).
-- Grain: one row per (cdf_project, execution_id) (every execution, whatever its status).
-- Columns: cdf_project, execution_id, workflow_external_id, workflow_version, status, status_class, day,
--   is_terminal, is_success, is_failure, created_time, start_time, end_time, duration_ms,
--   queue_ms, latency_ms, task_rows, definition_hash, reason_for_incompletion, distinct_tasks
--   (task externalIds: a retry shown as a second row is one task, as CDF's 200 cap counts),
--   quality_flags (the source's anomalies, see docs/warehouse.md).
{{ config(materialized='incremental', unique_key=['cdf_project', 'execution_id'], parquet='day') }}
WITH task_counts AS (
    SELECT
        cdf_project,
        execution_id,
        count(*) AS task_rows,
        -- attempt numbers the rows of each externalId from 1, so its first rows count the
        -- distinct tasks without a DISTINCT aggregate, which every view on this one would pay.
        count(*) FILTER (WHERE coalesce(attempt, 1) = 1) AS distinct_tasks
    FROM {{ source('task_executions') }}
    GROUP BY cdf_project, execution_id
)
SELECT
    e.cdf_project,
    e.execution_id,
    e.workflow_external_id,
    e.workflow_version,
    e.status,
    -- Unknown statuses (e.g. the old PAUSED) get their own class instead of being dropped, so
    -- volumes still count them while rates ignore them.
    CASE
        WHEN e.status = 'COMPLETED' THEN 'success'
        WHEN e.status IN ('FAILED', 'TIMED_OUT', 'TERMINATED') THEN 'failure'
        WHEN e.status = 'RUNNING' THEN 'running'
        ELSE 'unknown'
    END AS status_class,
    -- The session time zone must not move a run to another day.
    (e.created_time AT TIME ZONE 'UTC')::DATE AS day,
    e.status IN ('COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED') AS is_terminal,
    e.status = 'COMPLETED' AS is_success,
    e.status IN ('FAILED', 'TIMED_OUT', 'TERMINATED') AS is_failure,
    e.created_time,
    e.start_time,
    e.end_time,
    -- An end before the start is bad data, not a negative duration.
    CASE WHEN e.end_time >= e.start_time
        THEN date_sub('millisecond', e.start_time, e.end_time) END AS duration_ms,
    -- Kept when slightly negative: CDF can report a start a few ms before creation.
    date_sub('millisecond', e.created_time, e.start_time) AS queue_ms,
    CASE WHEN e.end_time >= e.created_time
        THEN date_sub('millisecond', e.created_time, e.end_time) END AS latency_ms,
    coalesce(t.task_rows, 0) AS task_rows,
    e.definition_hash,
    e.reason_for_incompletion,
    coalesce(t.distinct_tasks, 0) AS distinct_tasks,
    e.quality_flags
FROM {{ source('workflow_executions') }} AS e
LEFT JOIN task_counts AS t USING (cdf_project, execution_id)
