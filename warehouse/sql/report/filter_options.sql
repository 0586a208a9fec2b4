-- Report: what the filters can choose from: each project's workflows and the UTC days they ran.
SELECT
    cdf_project,
    workflow_external_id,
    min(day) AS first_day,
    max(day) AS last_day,
    count(*) AS executions
FROM execution_facts
GROUP BY cdf_project, workflow_external_id
ORDER BY cdf_project, workflow_external_id;
