-- description: How many of the batch's trigger runs the warehouse does not hold yet.
-- depends: trigger_runs; registered frame batch_trigger_runs
-- columns: count
SELECT count(*)
FROM batch_trigger_runs AS b
WHERE NOT EXISTS (
    SELECT 1
    FROM trigger_runs AS r
    WHERE r.cdf_project = b.cdf_project
      AND r.trigger_external_id = b.trigger_external_id
      AND r.fire_time = b.fire_time
)
