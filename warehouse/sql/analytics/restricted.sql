-- description: A model input restricted to the executions in scope (what `ref`/`source`
--   stand for while an incremental model is recomputed).
--   `first_row` (a table, when the scope is recently written executions): the scan also starts
--   at the first row holding an execution in scope. The ingest appends what it writes, so a
--   night's executions sit in a table's last row groups and DuckDB skips every row group before
--   that row: the history is read for two columns (to find the row), not for all the query
--   needs. `bounded` (a table, in a slice of a model kept per execution): the scan reads
--   between the slice's first and last row (slice_bounds.sql). Exact either way: no row in
--   scope lies outside the rows that bound it.
-- columns: those of the relation
(SELECT * FROM {{ relation }}
 WHERE {% if bounded %}rowid BETWEEN
     (SELECT first_row FROM _analytics_slice_bounds WHERE relation = {{ literal }})
     AND (SELECT last_row FROM _analytics_slice_bounds WHERE relation = {{ literal }})
 AND {% elif first_row %}rowid >= (
     SELECT min(rowid) FROM {{ relation }}
     WHERE (cdf_project, execution_id) IN (SELECT cdf_project, execution_id FROM _analytics_scope)
 ) AND {% endif %}(cdf_project, execution_id) IN (SELECT cdf_project, execution_id FROM _analytics_scope))
