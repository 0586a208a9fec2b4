-- Report: runs that look stuck, longest first.
SELECT
    workflow_external_id AS workflow,
    execution_id,
    status,
    is_queued,
    elapsed_ms,
    usual_p95_ms,
    near_24h_cap
FROM stuck_runs
ORDER BY elapsed_ms DESC, execution_id;
