-- Report: per UTC day, peak concurrent executions (cap 50, per CDF project: the busiest
-- project's peak) and the most tasks in one execution (cap 200).
--   Filters: $project, $since, $until; $workflow narrows the task counts only (concurrency is
--   per project).
WITH tasks AS (
    SELECT day, max(max_task_rows) AS max_task_rows
    FROM capacity_tasks_daily
    WHERE ($project IS NULL OR cdf_project = $project)
        AND ($workflow IS NULL OR workflow_external_id = $workflow)
        AND ($since IS NULL OR day >= $since)
        AND ($until IS NULL OR day <= $until)
    GROUP BY day
),
concurrency AS (
    SELECT
        day,
        max(peak_concurrent) AS peak_concurrent,
        arg_max(peak_at, (peak_concurrent, -epoch_us(peak_at))) AS peak_at
    FROM capacity_concurrency_daily
    WHERE ($project IS NULL OR cdf_project = $project)
        AND ($since IS NULL OR day >= $since)
        AND ($until IS NULL OR day <= $until)
    GROUP BY day
)
SELECT
    coalesce(c.day, t.day) AS day,
    coalesce(c.peak_concurrent, 0) AS peak_concurrent,
    c.peak_at,
    coalesce(t.max_task_rows, 0) AS max_task_rows
FROM concurrency AS c
FULL JOIN tasks AS t USING (day)
ORDER BY day;
