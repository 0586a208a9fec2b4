-- description: Mark dirty the partitions of rejected records the batch adds (not stored yet).
-- depends: rejected_records, _dirty_partitions; registered frame batch_rejected
-- columns: inserts (table_name, partition_date)
INSERT OR IGNORE INTO _dirty_partitions (table_name, partition_date)
SELECT DISTINCT 'rejected_records', (b.rejected_at AT TIME ZONE 'UTC')::DATE
FROM batch_rejected AS b
WHERE (b.cdf_project, b.rejection_id)
    NOT IN (SELECT cdf_project, rejection_id FROM rejected_records)
