-- Report: per UTC day, peak concurrent executions (cap 50) and the most tasks in one execution
-- (cap 200).
WITH tasks AS (
    SELECT day, max(max_task_rows) AS max_task_rows
    FROM capacity_tasks_daily
    GROUP BY day
)
SELECT
    coalesce(c.day, t.day) AS day,
    coalesce(c.peak_concurrent, 0) AS peak_concurrent,
    c.peak_at,
    coalesce(t.max_task_rows, 0) AS max_task_rows
FROM capacity_concurrency_daily AS c
FULL JOIN tasks AS t USING (day)
ORDER BY day;
