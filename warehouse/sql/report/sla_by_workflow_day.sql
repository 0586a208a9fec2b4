-- Report: breaching executions per UTC day for the ? workflows with the most breaches; the
--   rest summed as '(other workflows)'.
WITH totals AS (
    SELECT workflow_external_id, sum(breaching_executions) AS breaches
    FROM sla_breaches_daily
    GROUP BY workflow_external_id
),
top AS (
    SELECT workflow_external_id
    FROM totals
    WHERE breaches > 0
    ORDER BY breaches DESC, workflow_external_id
    LIMIT ?
)
SELECT
    CASE WHEN workflow_external_id IN (SELECT workflow_external_id FROM top)
        THEN workflow_external_id ELSE '(other workflows)' END AS workflow,
    day,
    sum(breaching_executions)::BIGINT AS breaches
FROM sla_breaches_daily
GROUP BY ALL
HAVING sum(breaching_executions) > 0
ORDER BY workflow, day;
