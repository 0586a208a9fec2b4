-- flaky_task_runs
-- Description: each task's outcome in each execution of its workflow, with the next decided
--   outcome of the same task in that workflow: what `flaky_tasks` counts recoveries from. A
--   task is its `task_key` (the children a dynamic task generates under new ids in every run
--   are one task); its outcome in an execution is a failure when any of its rows ended failed,
--   a success when all succeeded. Kept as a table per workflow: a new run of a workflow can
--   change the next outcome of that workflow's earlier runs.
-- Grain: one row per (cdf_project, workflow_external_id, task_key, execution_id).
-- Columns: cdf_project, workflow_external_id, task_key, execution_id, execution_created_time,
--   outcome, retries, recoveries, next_decided (the next success or failure: outcome,
--   created_time; NULL when none followed yet).
{{ config(materialized='incremental', unique_key=['cdf_project', 'workflow_external_id'], incremental_strategy='tail',
    order_by='execution_created_time, execution_id') }}
WITH per_execution AS (
    SELECT
        cdf_project,
        workflow_external_id,
        task_key,
        execution_id,
        any_value(execution_created_time) AS execution_created_time,
        CASE
            WHEN bool_or(outcome = 'failure') THEN 'failure'
            WHEN bool_and(outcome = 'success') THEN 'success'
            ELSE 'other'
        END AS outcome,
        count(*) FILTER (WHERE attempts > 1) AS retries,
        count(*) FILTER (WHERE recovered) AS recoveries
    FROM {{ ref('task_outcomes') }}
    GROUP BY cdf_project, workflow_external_id, task_key, execution_id
),
sequenced AS (
    SELECT
        *,
        -- The next decided outcome of the task in the workflow. Only decided outcomes form the
        -- sequence: a skipped or running task neither breaks nor makes a failure-then-success
        -- pair, so IGNORE NULLS steps over them.
        lead(
            CASE WHEN outcome IN ('success', 'failure')
                THEN {'outcome': outcome, 'created_time': execution_created_time} END
            IGNORE NULLS
        ) OVER (
            PARTITION BY cdf_project, workflow_external_id, task_key
            ORDER BY execution_created_time, execution_id
        ) AS next_decided
    FROM per_execution
)
SELECT * FROM sequenced
