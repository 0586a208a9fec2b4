-- Report: the ? most recent breaching executions.
SELECT
    workflow_external_id AS workflow,
    execution_id,
    status,
    created_time,
    elapsed_ms,
    max_duration_ms,
    deadline_at,
    late_by_ms,
    breached_duration,
    breached_deadline
FROM sla_breaches
ORDER BY created_time DESC, execution_id
LIMIT ?;
