-- Report: incidents and time to resolution per workflow over the whole history.
SELECT
    workflow_external_id AS workflow,
    count(*) AS incidents,
    count(*) FILTER (WHERE NOT is_resolved) AS open_incidents,
    round(avg(time_to_resolution_ms))::BIGINT AS mttr_ms,
    max(time_to_resolution_ms) AS worst_ms
FROM workflow_incidents
GROUP BY workflow_external_id
ORDER BY incidents DESC, workflow;
