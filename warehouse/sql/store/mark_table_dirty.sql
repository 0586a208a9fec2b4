-- description: Mark every Parquet partition of one table dirty (after its columns changed).
--   {table} and {partition} are the table's names from warehouse/schema.py.
-- depends: _dirty_partitions, the table
-- columns: parameters $1 table_name
INSERT OR IGNORE INTO _dirty_partitions (table_name, partition_date)
SELECT DISTINCT $1, ({partition} AT TIME ZONE 'UTC')::DATE
FROM {table}
WHERE {partition} IS NOT NULL
