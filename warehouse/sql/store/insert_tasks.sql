-- description: Insert the batch's task rows (columns matched by name).
-- depends: task_executions; registered frame batch_task_executions
-- columns: none (returns the number of inserted rows)
INSERT INTO task_executions BY NAME
SELECT * FROM batch_task_executions
