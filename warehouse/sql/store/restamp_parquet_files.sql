-- description: Give recorded Parquet files the size and version they have now, where their
--   footer still holds the recorded rows (a tree copied or restored: the same files under new
--   modification times; see warehouse/parquet_files.py). The row counts are left as recorded.
-- depends: _parquet_files
-- columns: parameters $1 VARCHAR[] table names, $2 DATE[] partition dates, $3 BIGINT[] sizes
--   in bytes, $4 VARCHAR[] versions (one element per file)
UPDATE _parquet_files AS f
SET file_bytes = n.file_bytes, file_version = n.file_version
FROM (
    SELECT
        unnest($1::VARCHAR[]) AS table_name,
        unnest($2::DATE[]) AS partition_date,
        unnest($3::BIGINT[]) AS file_bytes,
        unnest($4::VARCHAR[]) AS file_version
) AS n
WHERE f.table_name = n.table_name AND f.partition_date = n.partition_date
