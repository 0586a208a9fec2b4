-- description: Read one incremental-state value.
-- depends: _ingest_state
-- columns: value (JSON text); parameters $1 key, $2 project
SELECT value::VARCHAR AS value
FROM _ingest_state
WHERE key = $1 AND cdf_project = $2
