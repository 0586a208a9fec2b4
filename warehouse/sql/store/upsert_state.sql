-- description: Write one incremental-state value (JSON) under its key.
-- depends: _ingest_state
-- columns: parameters $1 key VARCHAR, $2 value JSON text, $3 updated_at TIMESTAMPTZ, $4 project
INSERT OR REPLACE INTO _ingest_state (cdf_project, key, value, updated_at)
VALUES ($4, $1, $2::JSON, $3)
