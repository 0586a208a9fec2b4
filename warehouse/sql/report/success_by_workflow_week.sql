-- Report: weekly success rate (COMPLETED / terminal) of the ? workflows with the most failed
--   executions, and of all workflows together (workflow_external_id NULL); week = the Monday
--   of the UTC week the runs were created in.
WITH worst AS (
    SELECT workflow_external_id
    FROM execution_facts
    GROUP BY workflow_external_id
    HAVING count(*) FILTER (WHERE is_failure) > 0
    ORDER BY count(*) FILTER (WHERE is_failure) DESC, workflow_external_id
    LIMIT ?
),
weekly AS (
    SELECT
        workflow_external_id,
        date_trunc('week', day) AS week,
        count(*) FILTER (WHERE is_success) AS completed,
        count(*) FILTER (WHERE is_failure) AS failed
    FROM execution_facts
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
