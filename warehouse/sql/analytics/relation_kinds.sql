-- description: Tables and views of the main schema, with whether they carry an execution's
--   identity (cdf_project and execution_id), which makes them restrictable to a scope.
-- columns: name, kind ('BASE TABLE' | 'VIEW'), per_execution
SELECT
    t.table_name AS name,
    t.table_type AS kind,
    count(*) FILTER (WHERE c.column_name IN ('cdf_project', 'execution_id')) = 2 AS per_execution
FROM information_schema.tables AS t
JOIN information_schema.columns AS c USING (table_catalog, table_schema, table_name)
WHERE t.table_schema = 'main' AND t.table_catalog = current_database()
GROUP BY ALL
