-- description: The record of the oldest day's Parquet file (of the first table by name): the
--   one file a writer's open looks at to tell whether the tree was copied (see
--   warehouse/parquet_files.py). Old days are rewritten least often.
-- depends: _parquet_files
-- columns: table_name, partition_date, file_bytes, file_version
SELECT table_name, partition_date, file_bytes, file_version
FROM _parquet_files
ORDER BY partition_date, table_name
LIMIT 1
