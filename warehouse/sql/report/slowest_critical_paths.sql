-- Report: per workflow, its COMPLETED run with the longest critical path; the $top slowest
--   of those.
--   Runs that failed, timed out or were terminated are left out: a run stopped at the 24 h
--   timeout has a critical path of about 24 h made of the one task that hung, which says the
--   run hung, not where a normal run spends its time. One row per workflow, so one busy
--   workflow cannot fill the list.
--   Filters: $project, $workflow, $since, $until (NULL: all).
WITH ranked AS (
    SELECT
        *,
        row_number() OVER (
            PARTITION BY cdf_project, workflow_external_id
            ORDER BY critical_path_ms DESC, execution_id
        ) AS rank_in_workflow
    FROM critical_paths
    WHERE path_status = 'ok' AND status = 'COMPLETED'
        AND ($project IS NULL OR cdf_project = $project)
        AND ($workflow IS NULL OR workflow_external_id = $workflow)
        AND ($since IS NULL OR day >= $since)
        AND ($until IS NULL OR day <= $until)
)
SELECT
    workflow_external_id AS workflow,
    execution_id,
    duration_ms,
    critical_path_ms,
    dominant_task_external_id AS dominant_task,
    dominant_share,
    array_to_string(critical_path, ' > ') AS path
FROM ranked
WHERE rank_in_workflow = 1
ORDER BY critical_path_ms DESC, workflow, execution_id
LIMIT $top;
