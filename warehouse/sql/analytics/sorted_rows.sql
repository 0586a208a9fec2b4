-- description: A model's rows sorted by its `order_by` (what insert_rows and replace_table
--   write for a model that names one: DuckDB then skips the row groups a filter on those
--   columns rules out).
SELECT * FROM (
{{ select }}
) ORDER BY {{ order_by }}
