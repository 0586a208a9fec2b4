-- description: One incremental-state value of every project that has it (checks that must hold
--   for each project, such as freshness).
-- depends: _ingest_state
-- columns: cdf_project, value (JSON text); parameter $1 key
SELECT cdf_project, value::VARCHAR AS value
FROM _ingest_state
WHERE key = $1
ORDER BY cdf_project
