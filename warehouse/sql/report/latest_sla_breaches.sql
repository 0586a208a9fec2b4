-- Report: the $top most recent breaching executions.
--   Filters: $project, $workflow, $since, $until (NULL: all).
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
WHERE ($project IS NULL OR cdf_project = $project)
    AND ($workflow IS NULL OR workflow_external_id = $workflow)
    AND ($since IS NULL OR day >= $since)
    AND ($until IS NULL OR day <= $until)
ORDER BY created_time DESC, execution_id
LIMIT $top;
