-- Report: the ? executions with the longest critical path.
SELECT
    workflow_external_id AS workflow,
    execution_id,
    critical_path_ms,
    dominant_task_external_id AS dominant_task,
    dominant_share,
    array_to_string(critical_path, ' > ') AS path
FROM critical_paths
WHERE path_status = 'ok'
ORDER BY critical_path_ms DESC, execution_id
LIMIT ?;
