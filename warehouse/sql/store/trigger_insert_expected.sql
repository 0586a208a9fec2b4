-- description: Add the batch's expected fires; a fire already stored keeps its row.
-- depends: trigger_expected_fires; registered frame batch_expected_fires
-- columns: none (returns the number of inserted rows)
INSERT INTO trigger_expected_fires BY NAME
SELECT * FROM batch_expected_fires
ON CONFLICT DO NOTHING
