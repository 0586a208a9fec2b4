-- events_stuck
-- Description: alert events for runs stuck past their workflow's usual p95 duration or near
--   CDF's 24 h cap (stuck_runs), started (or, still queued, created) at or after $since. One
--   event per execution: it is sent once however long the run stays stuck.
-- Depends: stuck_runs.
-- Columns: the alert event columns (warehouse.alerts.EVENT_COLUMNS).
SELECT
    'stuck:' || s.cdf_project || ':' || s.execution_id AS event_key,
    'stuck' AS kind,
    s.cdf_project,
    s.workflow_external_id,
    coalesce(s.start_time, s.created_time) AS event_time,
    s.execution_id,
    NULL::VARCHAR AS trigger_external_id,
    s.status,
    s.usual_p95_ms AS target_ms,
    s.elapsed_ms AS actual_ms,
    CASE WHEN s.usual_p95_ms IS NOT NULL THEN s.elapsed_ms - s.usual_p95_ms END AS over_target_ms,
    NULL::BIGINT AS late_by_ms,
    NULL::TIMESTAMPTZ AS deadline_at,
    CASE
        WHEN s.is_queued THEN 'still queued'
        WHEN s.near_24h_cap THEN 'near the 24 h cap'
        ELSE 'running longer than usual'
    END
        || ' (usual p95 over ' || s.history_runs || ' runs)' AS detail,
    NULL::MAP(VARCHAR, BIGINT) AS flag_counts
FROM stuck_runs AS s
WHERE coalesce(s.start_time, s.created_time) >= $since
ORDER BY event_time, event_key;
