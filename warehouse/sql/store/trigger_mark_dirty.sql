-- description: Mark dirty the Parquet partitions a trigger batch touches: the stored and the
--   new created dates of the batch's triggers, the fire dates of its runs, the dates of the
--   expected fires it removes (schedule changed) and of those it adds.
-- depends: workflow_triggers, trigger_expected_fires, _dirty_partitions; registered frames
--   batch_triggers, batch_trigger_runs, batch_expected_fires, batch_expected_resets
-- columns: inserts (table_name, partition_date)
INSERT OR IGNORE INTO _dirty_partitions (table_name, partition_date)
SELECT 'workflow_triggers', (t.created_time AT TIME ZONE 'UTC')::DATE
FROM workflow_triggers AS t
WHERE (t.cdf_project, t.trigger_external_id)
    IN (SELECT cdf_project, trigger_external_id FROM batch_triggers)
UNION
SELECT 'workflow_triggers', (b.created_time AT TIME ZONE 'UTC')::DATE
FROM batch_triggers AS b
UNION
SELECT 'trigger_runs', (r.fire_time AT TIME ZONE 'UTC')::DATE
FROM batch_trigger_runs AS r
UNION
SELECT 'trigger_expected_fires', (e.scheduled_time AT TIME ZONE 'UTC')::DATE
FROM trigger_expected_fires AS e
JOIN batch_expected_resets AS x
    ON e.cdf_project = x.cdf_project
    AND e.trigger_external_id = x.trigger_external_id
    AND e.scheduled_time >= x.from_time
UNION
SELECT 'trigger_expected_fires', (b.scheduled_time AT TIME ZONE 'UTC')::DATE
FROM batch_expected_fires AS b
