-- description: Read one incremental-state value.
-- depends: _ingest_state
-- columns: value (JSON text); parameter $1 key
SELECT value::VARCHAR AS value
FROM _ingest_state
WHERE key = $1
