-- description: Move a table made before rows carried their CDF project out of the way, so it
--   can be made anew with cdf_project in its key (DuckDB cannot change a primary key in place).
-- depends: the table
-- columns: none
ALTER TABLE {table} RENAME TO {table_before_project}
