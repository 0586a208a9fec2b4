-- description: Create an incremental model's table empty, with the columns of its definition,
--   so the views that read it can be created before its first build.
CREATE TABLE IF NOT EXISTS {{ model }} AS
SELECT * FROM (
{{ select }}
) LIMIT 0
