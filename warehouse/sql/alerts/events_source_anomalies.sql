-- events_source_anomalies
-- Description: alert events for records the source sent that could not be stored
--   (rejected_records), first rejected at or after $since: one event per CDF project, workflow
--   (from the payload's workflowExternalId, NULL when it has none) and UTC day, when that day
--   has at least $min_rejected of them. detail names the most frequent reason.
-- Depends: rejected_records.
-- Columns: the alert event columns (warehouse.alerts.EVENT_COLUMNS).
WITH rejected AS (
    SELECT
        cdf_project,
        json_extract_string(raw_payload, '$.workflowExternalId') AS workflow_external_id,
        (rejected_at AT TIME ZONE 'UTC')::DATE AS day,
        rejected_at,
        reason
    FROM rejected_records
    WHERE rejected_at >= $since
),
grouped AS (
    SELECT
        cdf_project,
        workflow_external_id,
        day,
        min(rejected_at) AS first_rejected_at,
        count(*) AS rejected,
        mode(reason) AS common_reason
    FROM rejected
    GROUP BY ALL
    HAVING count(*) >= $min_rejected
)
SELECT
    'source_anomaly:' || cdf_project || ':' || coalesce(workflow_external_id, '') || ':'
        || strftime(day, '%Y-%m-%d') AS event_key,
    'source_anomaly' AS kind,
    cdf_project,
    workflow_external_id,
    first_rejected_at AS event_time,
    NULL::VARCHAR AS execution_id,
    NULL::VARCHAR AS trigger_external_id,
    NULL::VARCHAR AS status,
    $min_rejected::BIGINT AS target_ms,
    rejected AS actual_ms,
    NULL::BIGINT AS over_target_ms,
    NULL::BIGINT AS late_by_ms,
    NULL::TIMESTAMPTZ AS deadline_at,
    rejected || ' records rejected; most often: ' || common_reason AS detail,
    NULL::MAP(VARCHAR, BIGINT) AS flag_counts
FROM grouped
ORDER BY first_rejected_at, event_key;
