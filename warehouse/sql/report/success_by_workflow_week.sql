-- Report: weekly success rate (COMPLETED / terminal) of the $top workflows with the most failed
--   executions, and of all selected workflows together (workflow_external_id NULL); week = the
--   Monday of the UTC week the runs were created in. Filters: $project, $workflow, $since, $until.
WITH selected AS (
    SELECT workflow_external_id, day, is_success, is_failure
    FROM execution_facts
    WHERE ($project IS NULL OR cdf_project = $project)
        AND ($workflow IS NULL OR workflow_external_id = $workflow)
        AND ($since IS NULL OR day >= $since)
        AND ($until IS NULL OR day <= $until)
),
worst AS (
    SELECT workflow_external_id
    FROM selected
    GROUP BY workflow_external_id
    HAVING count(*) FILTER (WHERE is_failure) > 0
    ORDER BY count(*) FILTER (WHERE is_failure) DESC, workflow_external_id
    LIMIT $top
),
weekly AS (
    SELECT
        workflow_external_id,
        date_trunc('week', day) AS week,
        count(*) FILTER (WHERE is_success) AS completed,
        count(*) FILTER (WHERE is_failure) AS failed
    FROM selected
    GROUP BY workflow_external_id, week
)
SELECT
    workflow_external_id,
    week,
    sum(completed)::BIGINT AS completed,
    sum(failed)::BIGINT AS failed,
    sum(completed) / nullif(sum(completed) + sum(failed), 0) AS success_rate
FROM weekly
WHERE workflow_external_id IN (SELECT workflow_external_id FROM worst)
GROUP BY GROUPING SETS ((workflow_external_id, week), (week))
ORDER BY workflow_external_id NULLS FIRST, week;
