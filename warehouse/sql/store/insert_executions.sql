-- description: Insert the batch's executions (columns matched by name).
-- depends: workflow_executions; registered frame batch_executions
-- columns: none (returns the number of inserted rows)
INSERT INTO workflow_executions BY NAME
SELECT * FROM batch_executions
