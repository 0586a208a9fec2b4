-- The task rows an ingest wrote: they are written together with their execution, which carries
-- the stamp ($since, TIMESTAMPTZ). The store appends what it writes, so they sit in the table's
-- last row groups: the scan starts at the first of them (two columns of the history are read
-- to find it) and DuckDB skips every row group before. Exact: none lies before the first.
(
    WITH written AS (
        SELECT cdf_project, execution_id FROM workflow_executions WHERE ingested_at >= $since
    )
    SELECT *
    FROM task_executions
    WHERE rowid >= (
        SELECT min(rowid) FROM task_executions
        WHERE (cdf_project, execution_id) IN (SELECT cdf_project, execution_id FROM written)
    )
    AND (cdf_project, execution_id) IN (SELECT cdf_project, execution_id FROM written)
)
