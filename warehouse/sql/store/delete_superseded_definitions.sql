-- description: Remove stored task definitions whose first-seen execution is later than the
--   batch's (they are re-inserted from the batch), so first_seen_* is the earliest execution
--   whatever order executions were ingested in.
-- depends: task_definitions; registered frame batch_task_definitions
-- columns: none (returns the number of deleted rows)
DELETE FROM task_definitions AS d
USING batch_task_definitions AS b
WHERE d.cdf_project = b.cdf_project
  AND d.definition_hash = b.definition_hash
  AND d.task_external_id = b.task_external_id
  AND (b.first_seen_created_time, b.first_seen_execution_id)
    < (d.first_seen_created_time, d.first_seen_execution_id)
