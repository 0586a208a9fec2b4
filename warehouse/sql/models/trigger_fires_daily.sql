-- trigger_fires_daily
-- Description: per schedule trigger and UTC day of the scheduled time: fires expected, runs
--   that happened, failed fires, slots with no fire, and how late fires and execution starts
--   were against the schedule (quantile_cont over the slots that ran; NULL when none).
-- Grain: one row per (cdf_project, trigger_external_id, day) with at least one expected fire.
-- Columns: cdf_project, trigger_external_id, workflow_external_id, day, expected, ran, failed_fires,
--   not_fired, other_status, missed, p50_fire_lateness_ms, p95_fire_lateness_ms,
--   max_fire_lateness_ms, p50_start_lateness_ms, p95_start_lateness_ms,
--   max_start_lateness_ms.
SELECT
    cdf_project,
    trigger_external_id,
    any_value(workflow_external_id) AS workflow_external_id,
    day,
    count(*) AS expected,
    count(*) FILTER (WHERE outcome = 'ran') AS ran,
    count(*) FILTER (WHERE outcome = 'failed') AS failed_fires,
    count(*) FILTER (WHERE outcome = 'not_fired') AS not_fired,
    count(*) FILTER (WHERE outcome NOT IN ('ran', 'failed', 'not_fired')) AS other_status,
    count(*) FILTER (WHERE is_missed) AS missed,
    round(quantile_cont(fire_lateness_ms, 0.5) FILTER (WHERE outcome = 'ran'))::BIGINT
        AS p50_fire_lateness_ms,
    round(quantile_cont(fire_lateness_ms, 0.95) FILTER (WHERE outcome = 'ran'))::BIGINT
        AS p95_fire_lateness_ms,
    max(fire_lateness_ms) FILTER (WHERE outcome = 'ran') AS max_fire_lateness_ms,
    round(quantile_cont(start_lateness_ms, 0.5) FILTER (WHERE outcome = 'ran'))::BIGINT
        AS p50_start_lateness_ms,
    round(quantile_cont(start_lateness_ms, 0.95) FILTER (WHERE outcome = 'ran'))::BIGINT
        AS p95_start_lateness_ms,
    max(start_lateness_ms) FILTER (WHERE outcome = 'ran') AS max_start_lateness_ms
FROM {{ ref('trigger_fire_checks') }}
GROUP BY cdf_project, trigger_external_id, day
