-- add_sla_percentile
-- Description: targets tables made before percentile budgets lack their column.
ALTER TABLE sla_targets ADD COLUMN IF NOT EXISTS duration_percentile DOUBLE
