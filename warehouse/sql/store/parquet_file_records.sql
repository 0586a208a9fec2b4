-- description: What the flush recorded of one table's Parquet files, for the Parquet check.
-- depends: _parquet_files
-- columns: partition_date, row_count, file_bytes, file_version; parameter $1 table_name
SELECT partition_date, row_count, file_bytes, file_version
FROM _parquet_files
WHERE table_name = $1
