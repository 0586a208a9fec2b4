-- description: Insert the batch's task definitions whose key is not stored yet.
-- depends: task_definitions; registered frame batch_task_definitions
-- columns: none (returns the number of inserted rows)
INSERT INTO task_definitions BY NAME
SELECT b.*
FROM batch_task_definitions AS b
WHERE NOT EXISTS (
    SELECT 1
    FROM task_definitions AS d
    WHERE d.cdf_project = b.cdf_project
      AND d.definition_hash = b.definition_hash
      AND d.task_external_id = b.task_external_id
)
