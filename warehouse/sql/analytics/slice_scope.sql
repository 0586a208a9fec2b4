-- description: The executions of one slice of a whole rebuild (none for slice -1).
-- columns: cdf_project, execution_id
CREATE OR REPLACE TEMP TABLE _analytics_scope AS
SELECT cdf_project, execution_id FROM _analytics_slices WHERE slice = $slice
