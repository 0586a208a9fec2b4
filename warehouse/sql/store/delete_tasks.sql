-- description: Remove every stored task row of the batch's executions, so task rows missing
--   from the latest detail disappear; also rows holding a task id the batch now places
--   elsewhere, so the key stays unique.
-- depends: task_executions; registered frames batch_executions, batch_task_executions
-- columns: none (returns the number of deleted rows)
DELETE FROM task_executions
WHERE (cdf_project, execution_id) IN (SELECT cdf_project, execution_id FROM batch_executions)
   OR (cdf_project, task_execution_id)
    IN (SELECT cdf_project, task_execution_id FROM batch_task_executions)
