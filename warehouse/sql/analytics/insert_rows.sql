-- description: Insert the recomputed rows of an incremental model (columns matched by name),
--   sorted by the model's `order_by` when it has one.
INSERT INTO {{ model }} BY NAME
{% if order_by %}SELECT * FROM (
{{ select }}
) ORDER BY {{ order_by }}{% else %}{{ select }}{% endif %}
