-- check: tasks_key_unique
-- asset: task_executions
-- severity: error
-- why: the store replaces an execution's task rows together with the execution; a second copy of
--   a task row means a write went wrong and task views would count it twice.
-- description: (cdf_project, execution_id, task_execution_id) is unique in task_executions.
-- summary: {count} duplicated task row keys
-- returns: the duplicated keys.
{% if scoped %}
-- The key holds the execution, and the rows written are every row of the executions written:
-- a second copy of a written key is among them, so the rest of the history is not read.
SELECT cdf_project, execution_id, task_execution_id, count(*) AS copies
FROM {{ tasks }}
GROUP BY cdf_project, execution_id, task_execution_id
HAVING count(*) > 1
{% else %}
WITH suspects AS (
    -- Grouping 8-byte hashes is cheaper than grouping the (project, UUID) strings of every
    -- task row; a hash shared by two keys only makes them suspects, and the exact count below
    -- decides.
    SELECT hash(cdf_project, execution_id, task_execution_id) AS h
    FROM task_executions
    GROUP BY h
    HAVING count(*) > 1
)
SELECT cdf_project, execution_id, task_execution_id, count(*) AS copies
FROM task_executions
WHERE hash(cdf_project, execution_id, task_execution_id) IN (SELECT h FROM suspects)
GROUP BY cdf_project, execution_id, task_execution_id
HAVING count(*) > 1
{% endif %}
