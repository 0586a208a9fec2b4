-- capacity_tasks_daily
-- Description: task rows per execution (dynamic children included) against CDF's cap of 200
--   tasks per execution, per workflow and UTC day.
-- Grain: one row per (cdf_project, workflow_external_id, day).
-- Depends: execution_facts.
-- Columns: cdf_project, workflow_external_id, day, executions, max_task_rows, p95_task_rows,
--   executions_over_90pct (>= 180 tasks), executions_at_cap (>= 200), task_cap,
--   max_utilisation.
CREATE OR REPLACE VIEW capacity_tasks_daily AS
SELECT
    cdf_project,
    workflow_external_id,
    day,
    count(*) AS executions,
    max(task_rows) AS max_task_rows,
    quantile_cont(task_rows, 0.95) AS p95_task_rows,
    count(*) FILTER (WHERE task_rows >= 180) AS executions_over_90pct,
    count(*) FILTER (WHERE task_rows >= 200) AS executions_at_cap,
    200 AS task_cap,
    max(task_rows) / 200 AS max_utilisation
FROM execution_facts
GROUP BY cdf_project, workflow_external_id, day;
