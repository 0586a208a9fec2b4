-- The task rows an ingest wrote: they are written together with their execution, which carries
-- the stamp ($since, TIMESTAMPTZ).
(
    SELECT t.*
    FROM task_executions AS t
    SEMI JOIN (
        SELECT cdf_project, execution_id FROM workflow_executions WHERE ingested_at >= $since
    ) AS w USING (cdf_project, execution_id)
)
