-- check: executions_key_unique
-- asset: workflow_executions
-- description: (cdf_project, execution_id) is unique in workflow_executions.
-- returns: the duplicated keys (none when the check passes).
SELECT cdf_project, execution_id, count(*) AS copies
FROM workflow_executions
GROUP BY cdf_project, execution_id
HAVING count(*) > 1
