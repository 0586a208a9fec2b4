-- Report: one line per workflow over the whole history.
--   Filters: $project, $workflow, $since, $until (NULL: all).
SELECT
    workflow_external_id AS workflow,
    count(*) AS executions,
    count(*) FILTER (WHERE status_class = 'running') AS running,
    count(*) FILTER (WHERE status_class = 'unknown') AS unknown_status,
    count(*) FILTER (WHERE is_success)
        / nullif(count(*) FILTER (WHERE is_terminal), 0) AS success_rate,
    round(quantile_cont(duration_ms, 0.5) FILTER (WHERE is_terminal))::BIGINT
        AS p50_duration_ms,
    round(quantile_cont(duration_ms, 0.95) FILTER (WHERE is_terminal))::BIGINT
        AS p95_duration_ms,
    round(quantile_cont(queue_ms, 0.95))::BIGINT AS p95_queue_ms
FROM execution_facts
WHERE ($project IS NULL OR cdf_project = $project)
    AND ($workflow IS NULL OR workflow_external_id = $workflow)
    AND ($since IS NULL OR day >= $since)
    AND ($until IS NULL OR day <= $until)
GROUP BY workflow_external_id
ORDER BY executions DESC, workflow;
