-- description: Drop the copy of a table from before the project column, once its rows moved.
-- depends: the table's copy from before the project column
-- columns: none
DROP TABLE {table_before_project}
