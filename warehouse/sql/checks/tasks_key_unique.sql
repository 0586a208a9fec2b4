-- check: tasks_key_unique
-- asset: task_executions
-- description: (cdf_project, task_execution_id) is unique in task_executions.
-- returns: the duplicated keys.
SELECT cdf_project, task_execution_id, count(*) AS copies
FROM task_executions
GROUP BY cdf_project, task_execution_id
HAVING count(*) > 1
