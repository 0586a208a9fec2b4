-- description: Build an incremental model whole from its definition (first build, a changed
--   definition, or a full refresh), sorted by the model's `order_by` when it has one.
CREATE OR REPLACE TABLE {{ model }} AS
{% if order_by %}SELECT * FROM (
{{ select }}
) ORDER BY {{ order_by }}{% else %}{{ select }}{% endif %}
