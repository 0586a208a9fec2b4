-- The executions an ingest wrote: stamped at or after $since (TIMESTAMPTZ).
(SELECT * FROM workflow_executions WHERE ingested_at >= $since)
