-- description: Mark the Parquet partitions an execution batch touches as dirty: the dates the
--   stored rows of these executions (and of their tasks) had before this batch, and the dates
--   they have now. Both, because a changed created_time moves rows between partitions.
-- depends: workflow_executions, _batch_stored_tasks (the stored task rows the batch replaces),
--   _dirty_partitions; registered frame batch_executions
-- columns: inserts (table_name, partition_date)
INSERT OR IGNORE INTO _dirty_partitions (table_name, partition_date)
SELECT 'workflow_executions', (e.created_time AT TIME ZONE 'UTC')::DATE
FROM workflow_executions AS e
WHERE (e.cdf_project, e.execution_id)
    IN (SELECT cdf_project, execution_id FROM batch_executions)
UNION
SELECT 'task_executions', partition_date
FROM _batch_stored_tasks
UNION
SELECT table_name, (b.created_time AT TIME ZONE 'UTC')::DATE
FROM batch_executions AS b
CROSS JOIN (VALUES ('workflow_executions'), ('task_executions')) AS tables (table_name)
