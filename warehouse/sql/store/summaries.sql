-- description: What the warehouse holds for some executions, in the shape of a list summary,
--   so the ingest can tell which executions changed since they were stored.
-- depends: workflow_executions
-- columns: execution_id, status, created_time_ms, start_time_ms, end_time_ms, task_count,
--   ingested_at; parameters $1 VARCHAR[] of execution ids, $2 project
SELECT
    execution_id,
    status,
    epoch_ms(created_time) AS created_time_ms,
    epoch_ms(start_time) AS start_time_ms,
    epoch_ms(end_time) AS end_time_ms,
    task_count,
    ingested_at
FROM workflow_executions
WHERE execution_id IN (SELECT unnest($1::VARCHAR[])) AND cdf_project = $2
