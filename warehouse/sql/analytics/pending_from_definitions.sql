-- description: Record as pending the stored executions whose workflow definition arrives only
--   now (their critical path had no definition before). Runs before the batch's definitions
--   are inserted, in the same transaction.
-- depends: workflow_executions, task_definitions, _analytics_pending; registered frame
--   batch_task_definitions
-- columns: inserts (cdf_project, execution_id, workflow_external_id, day)
INSERT INTO _analytics_pending
SELECT e.cdf_project, e.execution_id, e.workflow_external_id, (e.created_time AT TIME ZONE 'UTC')::DATE
FROM workflow_executions AS e
WHERE (e.cdf_project, e.definition_hash) IN (
    SELECT b.cdf_project, b.definition_hash
    FROM batch_task_definitions AS b
    WHERE NOT EXISTS (
        SELECT 1 FROM task_definitions AS d
        WHERE d.cdf_project = b.cdf_project AND d.definition_hash = b.definition_hash
    )
)
