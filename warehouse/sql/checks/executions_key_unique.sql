-- check: executions_key_unique
-- asset: workflow_executions
-- severity: error
-- why: the store replaces an execution's row on every update; a second copy means a write went
--   wrong and every count, rate and duration view would count the run twice.
-- description: (cdf_project, execution_id) is unique in workflow_executions.
-- summary: {count} duplicated execution keys
-- returns: the duplicated keys (none when the check passes).
SELECT cdf_project, execution_id, count(*) AS copies
FROM workflow_executions
{% if scoped %}
-- Keys of the rows written, counted over every stored row.
SEMI JOIN {{ executions }} AS w USING (cdf_project, execution_id)
{% endif %}
GROUP BY cdf_project, execution_id
HAVING count(*) > 1
