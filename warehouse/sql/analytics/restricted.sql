-- description: A model input restricted to the executions in scope (what `ref`/`source`
--   stand for while an incremental model is recomputed).
-- columns: those of the relation
(SELECT * FROM {{ relation }}
 WHERE (cdf_project, execution_id) IN (SELECT cdf_project, execution_id FROM _analytics_scope))
