-- sla_breaches_daily
-- Description: SLA results per CDF project, workflow and UTC day: how many executions breached, and
--   whether the day's deadline was met by a COMPLETED run (NULL when the workflow has no
--   deadline, or when the deadline has not passed yet and no run has completed).
-- Grain: one row per (cdf_project, workflow_external_id, day) with at least one execution.
-- Columns: cdf_project, workflow_external_id, day, executions, checked, duration_breaches,
--   deadline_breaches, breaching_executions, deadline_at, deadline_met.
SELECT
    cdf_project,
    workflow_external_id,
    day,
    count(*) AS executions,
    -- Executions that had at least one target to be checked against.
    count(*) FILTER (WHERE max_duration_ms IS NOT NULL OR deadline_at IS NOT NULL) AS checked,
    count(*) FILTER (WHERE breached_duration) AS duration_breaches,
    count(*) FILTER (WHERE breached_deadline) AS deadline_breaches,
    count(*) FILTER (WHERE breached) AS breaching_executions,
    any_value(deadline_at) AS deadline_at,
    CASE
        WHEN any_value(deadline_at) IS NULL THEN NULL
        WHEN bool_or(status = 'COMPLETED' AND end_time <= deadline_at) THEN TRUE
        WHEN coalesce(getvariable('analytics_now')::TIMESTAMPTZ, now())
            <= any_value(deadline_at) THEN NULL
        ELSE FALSE
    END AS deadline_met
FROM {{ ref('sla_checks') }}
GROUP BY cdf_project, workflow_external_id, day
