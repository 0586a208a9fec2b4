-- description: Forget the dirty marks of some partitions of one table once their Parquet files
--   are in place (one statement for a run of days rather than a commit per partition).
-- depends: _dirty_partitions
-- columns: parameters $1 table_name, $2 DATE[] partition dates
DELETE FROM _dirty_partitions
WHERE table_name = $1 AND list_contains($2::DATE[], partition_date)
