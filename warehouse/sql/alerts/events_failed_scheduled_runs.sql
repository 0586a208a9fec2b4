-- events_failed_scheduled_runs
-- Description: alert events for scheduled runs that fired and started an execution which then
--   failed (FAILED, TIMED_OUT or TERMINATED), scheduled at or after $since. Runs that never
--   happened come from events_sla ('missed_run', 'failed_fire').
-- Depends: trigger_fire_checks, workflow_executions.
-- Columns: the alert event columns (warehouse.alerts.EVENT_COLUMNS).
SELECT
    'failed_run:' || c.cdf_project || ':' || c.workflow_execution_id AS event_key,
    'failed_run' AS kind,
    c.cdf_project,
    c.workflow_external_id,
    c.scheduled_time AS event_time,
    c.workflow_execution_id AS execution_id,
    c.trigger_external_id,
    c.execution_status AS status,
    NULL::BIGINT AS target_ms,
    NULL::BIGINT AS actual_ms,
    NULL::BIGINT AS over_target_ms,
    NULL::BIGINT AS late_by_ms,
    NULL::TIMESTAMPTZ AS deadline_at,
    coalesce(x.reason_for_incompletion, 'no reason given') AS detail,
    NULL::MAP(VARCHAR, BIGINT) AS flag_counts
FROM trigger_fire_checks AS c
LEFT JOIN workflow_executions AS x
    ON x.cdf_project = c.cdf_project AND x.execution_id = c.workflow_execution_id
WHERE c.outcome = 'ran'
    AND c.execution_status IN ('FAILED', 'TIMED_OUT', 'TERMINATED')
    AND c.scheduled_time >= $since
ORDER BY c.scheduled_time, event_key;
