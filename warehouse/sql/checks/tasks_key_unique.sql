-- check: tasks_key_unique
-- asset: task_executions
-- description: task_execution_id is unique in task_executions.
-- returns: the duplicated keys.
SELECT task_execution_id, count(*) AS copies
FROM task_executions
GROUP BY task_execution_id
HAVING count(*) > 1
