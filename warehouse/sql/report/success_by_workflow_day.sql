-- Report: success rate per workflow and UTC day, for the ? workflows with most executions.
WITH top AS (
    SELECT workflow_external_id
    FROM execution_facts
    GROUP BY workflow_external_id
    ORDER BY count(*) DESC, workflow_external_id
    LIMIT ?
)
SELECT
    workflow_external_id,
    day,
    sum(completed) / nullif(sum(completed) + sum(failed), 0) AS success_rate
FROM execution_durations_daily
WHERE workflow_external_id IN (SELECT workflow_external_id FROM top)
GROUP BY workflow_external_id, day
ORDER BY workflow_external_id, day;
