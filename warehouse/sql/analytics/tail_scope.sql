-- description: The executions of each touched workflow from its boundary on (created_time,
--   then execution_id, as the tail models order runs).
-- depends: workflow_executions, _analytics_tail
-- columns: cdf_project, execution_id
CREATE OR REPLACE TEMP TABLE _analytics_scope AS
SELECT e.cdf_project, e.execution_id
FROM workflow_executions AS e
JOIN _analytics_tail AS t
    ON e.cdf_project = t.cdf_project
    AND e.workflow_external_id IS NOT DISTINCT FROM t.workflow_external_id
WHERE {'t': e.created_time, 'id': e.execution_id} >= t.boundary
