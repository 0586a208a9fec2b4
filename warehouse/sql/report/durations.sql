-- Report: run durations of terminal executions of the $top selected workflows with most
--   executions. Filters: $project, $workflow, $since, $until.
WITH selected AS (
    SELECT workflow_external_id, is_terminal, duration_ms
    FROM execution_facts
    WHERE ($project IS NULL OR cdf_project = $project)
        AND ($workflow IS NULL OR workflow_external_id = $workflow)
        AND ($since IS NULL OR day >= $since)
        AND ($until IS NULL OR day <= $until)
),
top AS (
    SELECT workflow_external_id
    FROM selected
    GROUP BY workflow_external_id
    ORDER BY count(*) DESC, workflow_external_id
    LIMIT $top
)
SELECT workflow_external_id, duration_ms
FROM selected
WHERE is_terminal
    AND duration_ms IS NOT NULL
    AND workflow_external_id IN (SELECT workflow_external_id FROM top)
ORDER BY workflow_external_id, duration_ms;
