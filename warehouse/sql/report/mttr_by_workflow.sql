-- Report: incidents and time to resolution per workflow over the whole history.
--   Filters: $project, $workflow, $since, $until (NULL: all).
SELECT
    workflow_external_id AS workflow,
    count(*) AS incidents,
    count(*) FILTER (WHERE NOT is_resolved) AS open_incidents,
    round(avg(time_to_resolution_ms))::BIGINT AS mttr_ms,
    max(time_to_resolution_ms) AS worst_ms
FROM workflow_incidents
WHERE ($project IS NULL OR cdf_project = $project)
    AND ($workflow IS NULL OR workflow_external_id = $workflow)
    AND ($since IS NULL OR day >= $since)
    AND ($until IS NULL OR day <= $until)
GROUP BY workflow_external_id
ORDER BY incidents DESC, workflow;
