-- description: Copy the rows of a table made before rows carried their CDF project into the
--   table made anew, stamped with the project the warehouse was loaded from.
-- depends: the table, its copy from before the project column
-- columns: parameters $1 cdf_project
INSERT INTO {table} BY NAME
SELECT *, $1::VARCHAR AS "cdf_project"
FROM {table_before_project}
