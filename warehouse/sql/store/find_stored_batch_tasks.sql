-- description: Find, in one scan of task_executions, the stored task rows a batch replaces:
--   every row of the batch's executions, and rows holding a task id the batch now places
--   elsewhere (so the key stays unique). Marking their partitions dirty and deleting them then
--   read this small table instead of scanning every task row twice, once for each.
-- depends: task_executions; registered frames batch_executions, batch_task_executions
-- columns: creates the temp table _batch_stored_tasks (row_id BIGINT, partition_date DATE)
CREATE OR REPLACE TEMP TABLE _batch_stored_tasks AS
SELECT t.rowid AS row_id, (t.execution_created_time AT TIME ZONE 'UTC')::DATE AS partition_date
FROM task_executions AS t
WHERE (t.cdf_project, t.execution_id) IN (SELECT cdf_project, execution_id FROM batch_executions)
   OR (t.cdf_project, t.task_execution_id)
    IN (SELECT cdf_project, task_execution_id FROM batch_task_executions)
