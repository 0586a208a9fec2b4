-- capacity_tasks_daily
-- Description: tasks per execution (dynamic children included) against CDF's cap of 200 tasks
--   per execution, per workflow and UTC day. The cap counts tasks, not rows: a retry shown as
--   a second row of the same externalId is one task (distinct_tasks); the row counts are kept
--   beside it. Executions over the cap are stored (flag over_task_limit) and counted here.
-- Grain: one row per (cdf_project, workflow_external_id, day).
-- Columns: cdf_project, workflow_external_id, day, executions, max_task_rows, p95_task_rows,
--   executions_over_90pct (>= 180 tasks), executions_at_cap (>= 200 tasks), task_cap,
--   max_utilisation (of tasks), max_tasks, p95_tasks, executions_over_cap (> 200 tasks).
SELECT
    cdf_project,
    workflow_external_id,
    day,
    count(*) AS executions,
    max(task_rows) AS max_task_rows,
    quantile_cont(task_rows, 0.95) AS p95_task_rows,
    count(*) FILTER (WHERE distinct_tasks >= 180) AS executions_over_90pct,
    count(*) FILTER (WHERE distinct_tasks >= 200) AS executions_at_cap,
    200 AS task_cap,
    max(distinct_tasks) / 200 AS max_utilisation,
    max(distinct_tasks) AS max_tasks,
    quantile_cont(distinct_tasks, 0.95) AS p95_tasks,
    count(*) FILTER (WHERE distinct_tasks > 200) AS executions_over_cap
FROM {{ ref('execution_facts') }}
GROUP BY cdf_project, workflow_external_id, day
