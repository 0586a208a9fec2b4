-- description: Record the Parquet partition files a flush has just written: rows (read back
--   from the footer), size and version (a local file's modification time in ns, an S3 object's
--   ETag). The Parquet check takes a file's row count from here while its size and version are
--   unchanged (see warehouse/parquet_files.py).
-- depends: _parquet_files
-- columns: parameters $1 table_name, $2 DATE[] partition dates, $3 BIGINT[] row counts,
--   $4 BIGINT[] sizes in bytes, $5 VARCHAR[] versions (one element per file)
INSERT INTO _parquet_files (table_name, partition_date, row_count, file_bytes, file_version)
SELECT $1, unnest($2::DATE[]), unnest($3::BIGINT[]), unnest($4::BIGINT[]), unnest($5::VARCHAR[])
