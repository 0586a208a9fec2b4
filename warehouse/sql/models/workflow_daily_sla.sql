-- workflow_daily_sla
-- description: Daily volume, success rate and run-duration percentiles per workflow of each CDF
--   project (`cdf_project`: two projects' workflows of the same name stay apart). `day` is
--   the UTC date of created_time (explicit AT TIME ZONE 'UTC', so the session time zone does
--   not matter). Every execution counts in `executions` whatever its status (unknown statuses
--   included); `success_rate` is completed / terminal (COMPLETED, FAILED, TIMED_OUT,
--   TERMINATED) and NULL when no execution of the day is terminal; percentiles interpolate
--   (quantile_cont) over terminal executions that have a duration, NULL when there is none.
-- Grain: one row per (cdf_project, workflow_external_id, day) with at least one execution.
-- columns: cdf_project VARCHAR, workflow_external_id VARCHAR, day DATE, executions BIGINT, completed BIGINT,
--   failed BIGINT, success_rate DOUBLE, p50_duration_ms DOUBLE, p95_duration_ms DOUBLE
WITH classified AS (
    SELECT
        cdf_project,
        workflow_external_id,
        (created_time AT TIME ZONE 'UTC')::DATE AS day,
        status,
        duration_ms,
        status IN ('COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED') AS is_terminal
    FROM {{ source('workflow_executions') }}
)
SELECT
    cdf_project,
    workflow_external_id,
    day,
    count(*) AS executions,
    count(*) FILTER (WHERE status = 'COMPLETED') AS completed,
    count(*) FILTER (WHERE status IN ('FAILED', 'TIMED_OUT', 'TERMINATED')) AS failed,
    count(*) FILTER (WHERE status = 'COMPLETED')
        / nullif(count(*) FILTER (WHERE is_terminal), 0)::DOUBLE AS success_rate,
    quantile_cont(duration_ms, 0.5) FILTER (WHERE is_terminal AND duration_ms IS NOT NULL)
        ::DOUBLE AS p50_duration_ms,
    quantile_cont(duration_ms, 0.95) FILTER (WHERE is_terminal AND duration_ms IS NOT NULL)
        ::DOUBLE AS p95_duration_ms
FROM classified
GROUP BY cdf_project, workflow_external_id, day
