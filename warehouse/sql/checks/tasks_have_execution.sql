-- check: tasks_have_execution
-- asset: task_executions
-- severity: error
-- why: task rows are written only together with their execution's row, in one transaction; an
--   orphan means a write or delete went wrong.
-- description: every task row belongs to an execution in workflow_executions.
-- summary: {count} task rows without their execution
-- returns: orphan task rows.
-- The execution keys without an execution first, then their rows: comparing keys is cheaper
-- than carrying every task row's id through the comparison. The task rows' distinct keys are
-- taken before they meet the executions: at 2M executions (33M task rows) the anti join of every
-- task row took 3.9-5.0 s, of the distinct keys 1.7 s.
SELECT t.cdf_project, t.task_execution_id, t.execution_id
FROM task_executions AS t
-- (A row without an execution id is an orphan too: NOT DISTINCT matches it with its key.)
SEMI JOIN (
    SELECT cdf_project, execution_id
    FROM (SELECT DISTINCT cdf_project, execution_id FROM task_executions)
    ANTI JOIN workflow_executions USING (cdf_project, execution_id)
) AS orphan
    ON t.cdf_project IS NOT DISTINCT FROM orphan.cdf_project
    AND t.execution_id IS NOT DISTINCT FROM orphan.execution_id
