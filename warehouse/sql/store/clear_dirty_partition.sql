-- description: Forget one dirty partition once its Parquet files are in place.
-- depends: _dirty_partitions
-- columns: parameters $1 table_name, $2 partition_date
DELETE FROM _dirty_partitions
WHERE table_name = $1 AND partition_date = $2
