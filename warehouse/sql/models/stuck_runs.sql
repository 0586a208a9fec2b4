-- stuck_runs
-- Description: executions that have not finished (no end_time, non-terminal status: RUNNING,
--   or an unknown status) and have been going longer than their workflow's usual p95 run
--   duration (over its terminal executions in its CDF project, all versions) or for at least 90 % of CDF's 24 h
--   cap (21.6 h). Time is counted from start_time, or from created_time for a run still
--   queued. "Now" is now() unless the session sets `SET VARIABLE analytics_now = ...`.
-- Grain: one row per stuck (cdf_project, execution_id).
-- Columns: cdf_project, execution_id, workflow_external_id, workflow_version, status, created_time,
--   start_time, is_queued, reference_now, elapsed_ms, usual_p95_ms, history_runs,
--   over_usual_p95, near_24h_cap, cap_remaining_ms.
WITH history AS (
    SELECT
        cdf_project,
        workflow_external_id,
        round(quantile_cont(duration_ms, 0.95))::BIGINT AS usual_p95_ms,
        count(duration_ms) AS history_runs
    FROM {{ ref('execution_facts') }}
    WHERE is_terminal
    GROUP BY cdf_project, workflow_external_id
),
open_runs AS (
    SELECT
        f.*,
        coalesce(getvariable('analytics_now')::TIMESTAMPTZ, now()) AS reference_now,
        f.start_time IS NULL AS is_queued,
        date_sub(
            'millisecond',
            coalesce(f.start_time, f.created_time),
            coalesce(getvariable('analytics_now')::TIMESTAMPTZ, now())
        ) AS elapsed_ms
    FROM {{ ref('execution_facts') }} AS f
    WHERE f.end_time IS NULL AND NOT f.is_terminal
)
SELECT
    o.cdf_project,
    o.execution_id,
    o.workflow_external_id,
    o.workflow_version,
    o.status,
    o.created_time,
    o.start_time,
    o.is_queued,
    o.reference_now,
    o.elapsed_ms,
    h.usual_p95_ms,
    coalesce(h.history_runs, 0) AS history_runs,
    coalesce(o.elapsed_ms > h.usual_p95_ms, FALSE) AS over_usual_p95,
    o.elapsed_ms >= 77760000 AS near_24h_cap,
    86400000 - o.elapsed_ms AS cap_remaining_ms
FROM open_runs AS o
LEFT JOIN history AS h
    ON h.cdf_project = o.cdf_project
    AND h.workflow_external_id IS NOT DISTINCT FROM o.workflow_external_id
WHERE coalesce(o.elapsed_ms > h.usual_p95_ms, FALSE) OR o.elapsed_ms >= 77760000
