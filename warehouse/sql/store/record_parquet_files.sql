-- description: Record the Parquet partition files a flush has just written: rows, size and
--   modification time as they are on disk now. The Parquet check takes a file's row count from
--   here while the file's size and time are unchanged (see warehouse/consistency.py).
-- depends: _parquet_files
-- columns: parameters $1 table_name, $2 DATE[] partition dates, $3 BIGINT[] row counts,
--   $4 BIGINT[] sizes in bytes, $5 BIGINT[] modification times in ns (one element per file)
INSERT INTO _parquet_files (table_name, partition_date, row_count, file_bytes, file_mtime_ns)
SELECT $1, unnest($2::DATE[]), unnest($3::BIGINT[]), unnest($4::BIGINT[]), unnest($5::BIGINT[])
