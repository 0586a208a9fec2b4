-- description: Insert the batch's trigger runs, replacing stored rows with the same key.
-- depends: trigger_runs; registered frame batch_trigger_runs
-- columns: none (returns the number of rows written)
INSERT OR REPLACE INTO trigger_runs BY NAME
SELECT * FROM batch_trigger_runs
