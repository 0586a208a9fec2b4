-- check: tasks_have_execution
-- asset: task_executions
-- description: every task row belongs to an execution in workflow_executions.
-- returns: orphan task rows.
SELECT t.cdf_project, t.task_execution_id, t.execution_id
FROM task_executions AS t
ANTI JOIN workflow_executions AS e USING (cdf_project, execution_id)
