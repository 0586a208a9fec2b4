-- Report: the $top tasks that fail most (then slowest), own rows only.
--   Filters: $project, $workflow (NULL: all). The view covers the whole history: no dates.
SELECT
    workflow_external_id AS workflow,
    task_key AS task,
    runs,
    failure_rate,
    timeout_rate,
    skip_rate,
    p50_duration_ms,
    p95_duration_ms
FROM task_hot_spots
WHERE level = 'task'
    AND ($project IS NULL OR cdf_project = $project)
    AND ($workflow IS NULL OR workflow_external_id = $workflow)
ORDER BY failure_rate DESC NULLS LAST, p95_duration_ms DESC NULLS LAST, workflow, task
LIMIT $top;
