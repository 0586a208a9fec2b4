-- Report: success rate per UTC day over the selected workflows (terminal executions only).
--   Filters: $project, $workflow, $since, $until (NULL: all).
SELECT
    day,
    sum(executions)::BIGINT AS executions,
    sum(completed)::BIGINT AS completed,
    sum(failed)::BIGINT AS failed,
    sum(completed) / nullif(sum(completed) + sum(failed), 0) AS success_rate
FROM execution_durations_daily
WHERE ($project IS NULL OR cdf_project = $project)
    AND ($workflow IS NULL OR workflow_external_id = $workflow)
    AND ($since IS NULL OR day >= $since)
    AND ($until IS NULL OR day <= $until)
GROUP BY day
ORDER BY day;
