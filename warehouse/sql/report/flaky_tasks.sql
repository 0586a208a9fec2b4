-- Report: flaky tasks, most recoveries first.
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
ORDER BY in_execution_recoveries + cross_execution_recoveries DESC, workflow, task
LIMIT ?;
