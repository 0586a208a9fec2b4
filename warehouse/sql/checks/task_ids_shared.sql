-- check: task_ids_shared
-- asset: task_executions
-- severity: warn
-- why: CDF gives every task execution its own UUID; a task id that two executions both send is a
--   fault of the source. Both runs happened, so each keeps its task row (the table's key holds
--   the execution) and the check names them. Failing the run would fail every night after.
-- description: a task execution id belongs to one execution only.
-- summary: {count} task ids sent by more than one execution
-- returns: each shared task id, how many executions sent it and two of them.
{% if scoped %}
SELECT cdf_project, task_execution_id, count(DISTINCT execution_id) AS executions,
       min(execution_id) AS first_execution_id, max(execution_id) AS last_execution_id
FROM task_executions
-- The task ids written, looked for under every stored execution.
SEMI JOIN (SELECT cdf_project, task_execution_id FROM {{ tasks }}) AS w
    USING (cdf_project, task_execution_id)
GROUP BY cdf_project, task_execution_id
HAVING count(DISTINCT execution_id) > 1
{% else %}
WITH suspects AS (
    -- As in tasks_key_unique: 8-byte hashes first, the exact grouping only for the suspects.
    SELECT hash(cdf_project, task_execution_id) AS h
    FROM task_executions
    GROUP BY h
    HAVING count(*) > 1
)
SELECT cdf_project, task_execution_id, count(DISTINCT execution_id) AS executions,
       min(execution_id) AS first_execution_id, max(execution_id) AS last_execution_id
FROM task_executions
WHERE hash(cdf_project, task_execution_id) IN (SELECT h FROM suspects)
GROUP BY cdf_project, task_execution_id
HAVING count(DISTINCT execution_id) > 1
{% endif %}
