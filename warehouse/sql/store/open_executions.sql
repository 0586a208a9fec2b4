-- description: Stored executions that are not terminal (RUNNING, PAUSED, unknown statuses):
--   the ingest re-fetches them until they finish, even outside its listing window.
-- depends: workflow_executions
-- columns: execution_id, created_time; parameters $1 VARCHAR[] of terminal statuses, $2 project
SELECT execution_id, created_time
FROM workflow_executions
WHERE NOT list_contains($1::VARCHAR[], status) AND cdf_project = $2
ORDER BY created_time, execution_id
