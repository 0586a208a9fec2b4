-- description: Rows per UTC day of one table over a run of days, to cut a flush into reads of
--   bounded size. {table} and {partition} are the table's names from warehouse/schema.py.
-- depends: the table being flushed
-- columns: day, count; parameters $1 from (inclusive), $2 to (exclusive), TIMESTAMPTZ
SELECT ({partition} AT TIME ZONE 'UTC')::DATE AS day, count(*)
FROM {table}
WHERE {partition} >= $1 AND {partition} < $2
GROUP BY day
