-- description: The SLA targets as loaded, in the order the loader compares them.
-- depends: sla_targets
-- columns: workflow_external_id, max_duration_ms, deadline_utc, note, duration_percentile
SELECT workflow_external_id, max_duration_ms, deadline_utc, note, duration_percentile
FROM sla_targets
ORDER BY workflow_external_id
