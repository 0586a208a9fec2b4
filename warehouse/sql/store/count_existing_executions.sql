-- description: How many executions of the batch are already stored (they will be updated).
-- depends: workflow_executions; registered frame batch_executions
-- columns: existing BIGINT
SELECT count(*) AS existing
FROM workflow_executions
WHERE (cdf_project, execution_id) IN (SELECT cdf_project, execution_id FROM batch_executions)
