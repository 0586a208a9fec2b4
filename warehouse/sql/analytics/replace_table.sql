-- description: Build an incremental model whole from its definition (first build, a changed
--   definition, or a full refresh).
CREATE OR REPLACE TABLE {{ model }} AS
{{ select }}
