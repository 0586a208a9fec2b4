-- description: The pending executions themselves as the scope.
-- depends: `pending` (the model's pending identities)
-- columns: cdf_project, execution_id
CREATE OR REPLACE TEMP TABLE _analytics_scope AS
SELECT DISTINCT cdf_project, execution_id FROM {{ pending }}
