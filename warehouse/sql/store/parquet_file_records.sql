-- description: What the flush recorded of the Parquet files, for the Parquet check.
-- depends: _parquet_files
-- columns: table_name, partition_date, row_count, file_bytes, file_version
SELECT table_name, partition_date, row_count, file_bytes, file_version
FROM _parquet_files
