-- description: The rows of a run of consecutive days of one table, each with its UTC day, in
--   the order the partition files hold them. A range on the raw column (not a per-day
--   expression) lets DuckDB skip row groups by their min/max, and one query serves a run of
--   days instead of scanning the table once per partition. {columns}, {table}, {partition} and
--   {key} are the table's names from warehouse/schema.py.
-- depends: the table being flushed
-- columns: the table's stored columns, __day; parameters $1 from (inclusive), $2 to (exclusive)
SELECT {columns}, ({partition} AT TIME ZONE 'UTC')::DATE AS __day
FROM {table}
WHERE {partition} >= $1 AND {partition} < $2
ORDER BY __day, {key}
