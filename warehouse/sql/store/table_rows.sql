-- description: A whole table, every project, ordered by its key ({columns}, {table} and {key}:
--   its names from warehouse/schema.py).
-- depends: the table
-- columns: the table's stored columns
SELECT {columns} FROM {table} ORDER BY {key}
