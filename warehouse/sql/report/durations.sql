-- Report: run durations of terminal executions of the ? workflows with most executions.
WITH top AS (
    SELECT workflow_external_id
    FROM execution_facts
    GROUP BY workflow_external_id
    ORDER BY count(*) DESC, workflow_external_id
    LIMIT ?
)
SELECT workflow_external_id, duration_ms
FROM execution_facts
WHERE is_terminal
    AND duration_ms IS NOT NULL
    AND workflow_external_id IN (SELECT workflow_external_id FROM top)
ORDER BY workflow_external_id, duration_ms;
