-- description: Remove the expected fires of triggers whose schedule changed, from the change on.
-- depends: trigger_expected_fires; registered frame batch_expected_resets
-- columns: none (returns the number of rows removed)
DELETE FROM trigger_expected_fires AS e
USING batch_expected_resets AS x
WHERE e.cdf_project = x.cdf_project
  AND e.trigger_external_id = x.trigger_external_id
  AND e.scheduled_time >= x.from_time
