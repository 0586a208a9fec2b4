-- Report: flaky tasks, most recoveries first.
--   Filters: $project, $workflow (NULL: all). The view covers the whole history: no dates.
SELECT
    workflow_external_id AS workflow,
    task_key AS task,
    executions,
    failures,
    in_execution_recoveries,
    cross_execution_recoveries,
    last_recovery_time
FROM flaky_tasks
WHERE is_flaky
    AND ($project IS NULL OR cdf_project = $project)
    AND ($workflow IS NULL OR workflow_external_id = $workflow)
ORDER BY in_execution_recoveries + cross_execution_recoveries DESC, workflow, task
LIMIT $top;
