-- description: The records of the oldest days' Parquet files, oldest first: a writer's open looks
--   at the first of them whose file is there to tell whether the tree was copied (see
--   warehouse/parquet_files.py). Old days are rewritten least often.
-- depends: _parquet_files
-- columns: table_name, partition_date, file_bytes, file_version
SELECT table_name, partition_date, file_bytes, file_version
FROM _parquet_files
ORDER BY partition_date, table_name
LIMIT 16
