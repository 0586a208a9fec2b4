-- description: Remove the stored task rows the batch replaces (found by
--   find_stored_batch_tasks.sql in the same transaction), so task rows missing from the latest
--   detail disappear.
-- depends: task_executions, _batch_stored_tasks
-- columns: none (returns the number of deleted rows)
DELETE FROM task_executions
WHERE rowid IN (SELECT row_id FROM _batch_stored_tasks)
