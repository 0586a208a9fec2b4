-- description: Remove a tail model's rows of each touched workflow from its boundary on; the
--   recomputation inserts them again.
-- depends: the model's table, _analytics_tail
DELETE FROM {{ model }} AS m
USING _analytics_tail AS t
WHERE m.cdf_project = t.cdf_project
    AND m.workflow_external_id IS NOT DISTINCT FROM t.workflow_external_id
    AND {'t': m.execution_created_time, 'id': m.execution_id} >= t.boundary
