-- Report: runs that look stuck, longest first.
--   Filters: $project, $workflow, $since, $until (NULL: all).
SELECT
    workflow_external_id AS workflow,
    execution_id,
    status,
    is_queued,
    elapsed_ms,
    usual_p95_ms,
    near_24h_cap
FROM stuck_runs
WHERE ($project IS NULL OR cdf_project = $project)
    AND ($workflow IS NULL OR workflow_external_id = $workflow)
    AND ($since IS NULL OR created_time::DATE >= $since)
    AND ($until IS NULL OR created_time::DATE <= $until)
ORDER BY elapsed_ms DESC, execution_id;
