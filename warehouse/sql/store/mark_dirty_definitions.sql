-- description: Mark dirty the partitions of task definitions the batch adds or moves: a batch
--   row wins when its key is new or its first-seen execution is earlier (created time, then
--   id) than the stored one; both the stored row's date and the winner's date are marked.
-- depends: task_definitions, _dirty_partitions; registered frame batch_task_definitions
-- columns: inserts (table_name, partition_date)
INSERT OR IGNORE INTO _dirty_partitions (table_name, partition_date)
SELECT 'task_definitions', (d.first_seen_created_time AT TIME ZONE 'UTC')::DATE
FROM task_definitions AS d
JOIN batch_task_definitions AS b USING (cdf_project, definition_hash, task_external_id)
WHERE (b.first_seen_created_time, b.first_seen_execution_id)
    < (d.first_seen_created_time, d.first_seen_execution_id)
UNION
SELECT 'task_definitions', (b.first_seen_created_time AT TIME ZONE 'UTC')::DATE
FROM batch_task_definitions AS b
LEFT JOIN task_definitions AS d USING (cdf_project, definition_hash, task_external_id)
WHERE d.definition_hash IS NULL
   OR (b.first_seen_created_time, b.first_seen_execution_id)
    < (d.first_seen_created_time, d.first_seen_execution_id)
