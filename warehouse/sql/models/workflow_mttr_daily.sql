-- workflow_mttr_daily
-- Description: mean and median time to resolution (MTTR) of a workflow's incidents, by the
--   UTC day the incident started (its first failure ended). Time to resolution is measured on
--   the timeline of outcomes (see workflow_incidents), so it is never negative. Open incidents
--   are counted but have no resolution time.
-- Grain: one row per (cdf_project, workflow_external_id, day).
-- Columns: cdf_project, workflow_external_id, day, incidents, resolved, open, failures, mttr_ms,
--   p50_time_to_resolution_ms, max_time_to_resolution_ms.
SELECT
    cdf_project,
    workflow_external_id,
    day,
    count(*) AS incidents,
    count(*) FILTER (WHERE is_resolved) AS resolved,
    count(*) FILTER (WHERE NOT is_resolved) AS open,
    sum(failures)::BIGINT AS failures,
    round(avg(time_to_resolution_ms))::BIGINT AS mttr_ms,
    round(quantile_cont(time_to_resolution_ms, 0.5))::BIGINT AS p50_time_to_resolution_ms,
    max(time_to_resolution_ms) AS max_time_to_resolution_ms
FROM {{ ref('workflow_incidents') }}
GROUP BY cdf_project, workflow_external_id, day
