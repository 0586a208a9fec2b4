-- create_sla_targets
-- Description: the analysts' SLA targets (config/sla_targets.csv), which the SLA views read.
--   Created empty so the views can be created before any targets are loaded.
CREATE TABLE IF NOT EXISTS sla_targets (
    workflow_external_id VARCHAR PRIMARY KEY,
    max_duration_ms BIGINT,
    deadline_utc TIME,
    note VARCHAR,
    duration_percentile DOUBLE
)
