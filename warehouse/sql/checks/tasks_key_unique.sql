-- check: tasks_key_unique
-- asset: task_executions
-- severity: error
-- why: the store replaces an execution's task rows together with the execution; a second copy of
--   a task row means a write went wrong and task views would count it twice.
-- description: (cdf_project, task_execution_id) is unique in task_executions.
-- summary: {count} duplicated task row keys
-- returns: the duplicated keys.
SELECT cdf_project, task_execution_id, count(*) AS copies
FROM task_executions
GROUP BY cdf_project, task_execution_id
HAVING count(*) > 1
