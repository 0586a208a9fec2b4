-- description: Insert the batch's rejected records; a payload already stored keeps its row
--   (and its first rejected_at).
-- depends: rejected_records; registered frame batch_rejected
-- columns: none (returns the number of inserted rows)
INSERT INTO rejected_records BY NAME
SELECT * FROM batch_rejected
ON CONFLICT DO NOTHING
