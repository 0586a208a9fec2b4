-- description: Parquet partitions waiting to be rewritten.
-- depends: _dirty_partitions
-- columns: table_name, partition_date
SELECT table_name, partition_date
FROM _dirty_partitions
ORDER BY table_name, partition_date
