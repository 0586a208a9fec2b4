-- description: Insert the batch's triggers, replacing stored rows with the same key.
-- depends: workflow_triggers; registered frame batch_triggers
-- columns: none (returns the number of rows written)
INSERT OR REPLACE INTO workflow_triggers BY NAME
SELECT * FROM batch_triggers
