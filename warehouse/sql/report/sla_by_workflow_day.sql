-- Report: breaching executions per UTC day for the $top selected workflows with the most
--   breaches; the rest summed as '(other workflows)'. Filters: $project, $workflow, $since,
--   $until (NULL: all).
WITH selected AS (
    SELECT workflow_external_id, day, breaching_executions
    FROM sla_breaches_daily
    WHERE ($project IS NULL OR cdf_project = $project)
        AND ($workflow IS NULL OR workflow_external_id = $workflow)
        AND ($since IS NULL OR day >= $since)
        AND ($until IS NULL OR day <= $until)
),
totals AS (
    SELECT workflow_external_id, sum(breaching_executions) AS breaches
    FROM selected
    GROUP BY workflow_external_id
),
top AS (
    SELECT workflow_external_id
    FROM totals
    WHERE breaches > 0
    ORDER BY breaches DESC, workflow_external_id
    LIMIT $top
)
SELECT
    CASE WHEN workflow_external_id IN (SELECT workflow_external_id FROM top)
        THEN workflow_external_id ELSE '(other workflows)' END AS workflow,
    day,
    sum(breaching_executions)::BIGINT AS breaches
FROM selected
GROUP BY ALL
HAVING sum(breaching_executions) > 0
ORDER BY workflow, day;
