-- execution_durations_daily
-- Description: volume, outcome counts and the percentiles of run duration, queue time and
--   end-to-end latency per CDF project, workflow, version and UTC day of created_time.
-- Grain: one row per (cdf_project, workflow_external_id, workflow_version, day).
-- Columns: cdf_project, workflow_external_id, workflow_version, day, executions, completed, failed,
--   running, unknown_status, success_rate, p50/p95/p99_duration_ms, p50/p95/p99_queue_ms,
--   p50/p95/p99_latency_ms (percentiles rounded to whole ms).
SELECT
    cdf_project,
    workflow_external_id,
    workflow_version,
    day,
    count(*) AS executions,
    count(*) FILTER (WHERE is_success) AS completed,
    count(*) FILTER (WHERE is_failure) AS failed,
    count(*) FILTER (WHERE status_class = 'running') AS running,
    count(*) FILTER (WHERE status_class = 'unknown') AS unknown_status,
    count(*) FILTER (WHERE is_success)
        / nullif(count(*) FILTER (WHERE is_terminal), 0) AS success_rate,
    -- Durations and latencies only of terminal runs: a running run's numbers are not final.
    round(quantile_cont(duration_ms, 0.50) FILTER (WHERE is_terminal))::BIGINT AS p50_duration_ms,
    round(quantile_cont(duration_ms, 0.95) FILTER (WHERE is_terminal))::BIGINT AS p95_duration_ms,
    round(quantile_cont(duration_ms, 0.99) FILTER (WHERE is_terminal))::BIGINT AS p99_duration_ms,
    -- Queue time is final as soon as the run started, so running runs count.
    round(quantile_cont(queue_ms, 0.50))::BIGINT AS p50_queue_ms,
    round(quantile_cont(queue_ms, 0.95))::BIGINT AS p95_queue_ms,
    round(quantile_cont(queue_ms, 0.99))::BIGINT AS p99_queue_ms,
    round(quantile_cont(latency_ms, 0.50) FILTER (WHERE is_terminal))::BIGINT AS p50_latency_ms,
    round(quantile_cont(latency_ms, 0.95) FILTER (WHERE is_terminal))::BIGINT AS p95_latency_ms,
    round(quantile_cont(latency_ms, 0.99) FILTER (WHERE is_terminal))::BIGINT AS p99_latency_ms
FROM {{ ref('execution_facts') }}
GROUP BY ALL
