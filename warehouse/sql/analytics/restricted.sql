-- description: A model input restricted to the executions in scope (what `ref`/`source`
--   stand for while an incremental model is recomputed).
--   `first_row` (a table, when the scope is recently written executions): the scan also starts
--   at the first row holding an execution in scope. The ingest appends what it writes, so a
--   night's executions sit in a table's last row groups and DuckDB skips every row group before
--   that row: the history is read for two columns (to find the row), not for all the query
--   needs. Exact: no row in scope lies before the first one that is.
-- columns: those of the relation
(SELECT * FROM {{ relation }}
 WHERE {% if first_row %}rowid >= (
     SELECT min(rowid) FROM {{ relation }}
     WHERE (cdf_project, execution_id) IN (SELECT cdf_project, execution_id FROM _analytics_scope)
 ) AND {% endif %}(cdf_project, execution_id) IN (SELECT cdf_project, execution_id FROM _analytics_scope))
