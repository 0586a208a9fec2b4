-- sla_breaches
-- Description: the executions that breach their duration budget or their day's deadline.
-- Grain: one row per breaching (cdf_project, execution_id).
-- Depends: sla_checks (created by warehouse.sla_targets.install_sla).
-- Columns: the columns of sla_checks, cdf_project first (breached is always true here).
CREATE OR REPLACE VIEW sla_breaches AS
SELECT *
FROM sla_checks
WHERE breached;
