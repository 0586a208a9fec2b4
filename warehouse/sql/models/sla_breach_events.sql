-- sla_breach_events
-- Description: every SLA breach as one event, executions and runs that never happened alike:
--   'duration' and 'deadline' breaches of executions (sla_breaches; an execution breaching
--   both gives two events), and 'missed_run' / 'failed_fire' for scheduled runs with no
--   execution (trigger_misses: no fire recorded, or a failed fire). event_time is the
--   execution's created_time or the missed run's scheduled time; day is its UTC date.
-- Grain: one row per (cdf_project, event_kind, execution_id or trigger_external_id + scheduled
--   time).
-- Columns: cdf_project, event_kind, workflow_external_id, day, event_time, execution_id,
--   trigger_external_id, over_budget_ms, late_by_ms, detail.
SELECT
    cdf_project,
    'duration' AS event_kind,
    workflow_external_id,
    day,
    created_time AS event_time,
    execution_id,
    NULL::VARCHAR AS trigger_external_id,
    over_budget_ms,
    NULL::BIGINT AS late_by_ms,
    'ran ' || elapsed_ms || ' ms against a budget of ' || max_duration_ms || ' ms' AS detail
FROM {{ ref('sla_breaches') }}
WHERE breached_duration
UNION ALL
SELECT
    cdf_project,
    'deadline',
    workflow_external_id,
    day,
    created_time,
    execution_id,
    NULL,
    NULL,
    late_by_ms,
    'not finished by ' || strftime(deadline_at, '%Y-%m-%d %H:%M UTC')
FROM {{ ref('sla_breaches') }}
WHERE breached_deadline
UNION ALL
SELECT
    cdf_project,
    CASE miss_kind WHEN 'not_fired' THEN 'missed_run' ELSE miss_kind END,
    workflow_external_id,
    day,
    scheduled_time,
    NULL,
    trigger_external_id,
    NULL,
    NULL,
    reason
FROM {{ ref('trigger_misses') }}
