-- description: The executions an incremental model's touched keys cover, as stored now: the
--   inputs of its recomputation are restricted to these executions.
-- depends: _execution_identity, _analytics_touched
-- columns: cdf_project, execution_id
CREATE OR REPLACE TEMP TABLE _analytics_scope AS
SELECT DISTINCT i.cdf_project, i.execution_id
FROM _execution_identity AS i
JOIN _analytics_touched AS t
    ON {% for column in key %}{% if not loop.first %} AND {% endif %}i.{{ column }} IS NOT DISTINCT FROM t.{{ column }}{% endfor %}
