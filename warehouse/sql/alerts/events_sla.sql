-- events_sla
-- Description: alert events from sla_breach_events: execution breaches ('duration', 'deadline')
--   with their target and actual values from sla_breaches, and scheduled runs that never
--   happened ('missed_run', 'failed_fire'), whose event_time is at or after $since.
-- Depends: sla_breach_events, sla_breaches.
-- Columns: the alert event columns (warehouse.alerts.EVENT_COLUMNS).
SELECT
    e.event_kind || ':' || e.cdf_project || ':'
        || coalesce(
            e.execution_id,
            e.trigger_external_id || '@' || strftime(e.event_time AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ')
        ) AS event_key,
    e.event_kind AS kind,
    e.cdf_project,
    e.workflow_external_id,
    e.event_time,
    e.execution_id,
    e.trigger_external_id,
    b.status,
    CASE e.event_kind WHEN 'duration' THEN b.max_duration_ms END AS target_ms,
    CASE e.event_kind WHEN 'duration' THEN b.elapsed_ms END AS actual_ms,
    e.over_budget_ms AS over_target_ms,
    e.late_by_ms,
    CASE e.event_kind WHEN 'deadline' THEN b.deadline_at END AS deadline_at,
    e.detail,
    NULL::MAP(VARCHAR, BIGINT) AS flag_counts
FROM sla_breach_events AS e
LEFT JOIN sla_breaches AS b
    ON b.cdf_project = e.cdf_project AND b.execution_id = e.execution_id
WHERE e.event_time >= $since
ORDER BY e.event_time, event_key;
