-- description: For each slice of `_analytics_slices` and each input table of the model being
--   built, the first and last row holding an execution of the slice. A slice's executions were
--   written next to each other (slices.sql), so a query restricted to the slice reads its
--   inputs between those rows only, and DuckDB skips every row group outside them.
-- depends: _analytics_slices, the model's input tables
-- columns: relation, slice, first_row, last_row
CREATE OR REPLACE TEMP TABLE _analytics_bounds AS
{% for relation in relations %}
{% if not loop.first %}UNION ALL{% endif %}
SELECT {{ relation.literal }} AS relation, s.slice, min(r.rowid) AS first_row, max(r.rowid) AS last_row
FROM {{ relation.quoted }} AS r
JOIN _analytics_slices AS s USING (cdf_project, execution_id)
GROUP BY s.slice
{% endfor %}
