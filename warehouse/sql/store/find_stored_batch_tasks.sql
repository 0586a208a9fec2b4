-- description: Find, in one scan of task_executions, the stored task rows a batch replaces:
--   every row of the batch's executions (a task row belongs to its execution; the same task id
--   under another execution is that execution's row, and stays). Marking their partitions dirty
--   and deleting them then read this small table instead of scanning every task row twice.
-- depends: task_executions; registered frame batch_executions
-- columns: creates the temp table _batch_stored_tasks (row_id BIGINT, partition_date DATE)
CREATE OR REPLACE TEMP TABLE _batch_stored_tasks AS
SELECT t.rowid AS row_id, (t.execution_created_time AT TIME ZONE 'UTC')::DATE AS partition_date
FROM task_executions AS t
WHERE (t.cdf_project, t.execution_id) IN (SELECT cdf_project, execution_id FROM batch_executions)
