-- The task rows an ingest wrote: they are written together with their execution, which carries
-- the stamp ($since, TIMESTAMPTZ). A join (the written executions are unique by key) lets DuckDB
-- build on the few written executions and skip the rest of the task rows.
(
    SELECT t.*
    FROM task_executions AS t
    JOIN (
        SELECT cdf_project, execution_id FROM workflow_executions WHERE ingested_at >= $since
    ) AS w USING (cdf_project, execution_id)
)
