-- task_retries
-- Description: retries shown as several rows of the same task externalId in one execution
--   (the first form a retry can take in executedTasks), with whether the task recovered.
-- Grain: one row per (cdf_project, execution_id, task_external_id) that has more than one row.
-- Columns: cdf_project, execution_id, workflow_external_id, workflow_version, day, task_external_id,
--   task_key, parent_task_external_id, attempts, failed_attempts, first_status, final_status, outcome,
--   recovered, total_duration_ms.
SELECT
    cdf_project,
    execution_id,
    workflow_external_id,
    workflow_version,
    day,
    task_external_id,
    task_key,
    parent_task_external_id,
    attempts,
    failed_attempts,
    first_status,
    final_status,
    outcome,
    recovered,
    total_duration_ms
FROM {{ ref('task_outcomes') }}
WHERE attempts > 1
