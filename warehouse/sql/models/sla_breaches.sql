-- sla_breaches
-- Description: the executions that breach their duration budget or their day's deadline.
-- Grain: one row per breaching (cdf_project, execution_id).
-- Columns: the columns of sla_checks, cdf_project first (breached is always true here).
SELECT *
FROM {{ ref('sla_checks') }}
WHERE breached
