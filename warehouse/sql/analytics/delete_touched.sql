-- description: Remove an incremental model's rows whose unique_key was touched; the
--   recomputation inserts them again.
-- depends: the model's table, _analytics_touched
DELETE FROM {{ model }} AS m
USING _analytics_touched AS t
WHERE {% for column in key %}{% if not loop.first %} AND {% endif %}m.{{ column }} IS NOT DISTINCT FROM t.{{ column }}{% endfor %}
