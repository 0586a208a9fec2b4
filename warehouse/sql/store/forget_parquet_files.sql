-- description: Forget what was recorded of some partition files of one table before a flush
--   records them again (a partition removed keeps no record).
-- depends: _parquet_files
-- columns: parameters $1 table_name, $2 DATE[] partition dates
DELETE FROM _parquet_files
WHERE table_name = $1 AND list_contains($2::DATE[], partition_date)
