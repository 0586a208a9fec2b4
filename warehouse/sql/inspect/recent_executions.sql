-- description: the most recently created executions, for previews (Dagster metadata, CLI).
-- depends: workflow_executions
-- columns: execution_id, workflow_external_id, workflow_version, status, created_time,
--   duration_ms, task_count, reason_for_incompletion
SELECT execution_id, workflow_external_id, workflow_version, status,
       strftime(created_time AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') AS created_time,
       duration_ms, task_count, left(reason_for_incompletion, 80) AS reason_for_incompletion
FROM workflow_executions
ORDER BY created_time DESC, execution_id
LIMIT $limit
