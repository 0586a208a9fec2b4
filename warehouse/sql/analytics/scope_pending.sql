-- description: The pending executions themselves as the scope.
-- columns: cdf_project, execution_id
CREATE OR REPLACE TEMP TABLE _analytics_scope AS
SELECT DISTINCT cdf_project, execution_id FROM _analytics_pending
