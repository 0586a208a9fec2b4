-- description: Remove the stored rows of the batch's executions; they are re-inserted from the
--   batch, which holds the latest state (upsert as delete + insert in one transaction).
-- depends: workflow_executions; registered frame batch_executions
-- columns: none (returns the number of deleted rows)
DELETE FROM workflow_executions
WHERE (cdf_project, execution_id) IN (SELECT cdf_project, execution_id FROM batch_executions)
