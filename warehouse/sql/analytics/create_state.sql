-- description: The analytics build's own bookkeeping. `_analytics_pending` holds the identity
--   (before and after) of every execution written since the last build, filled by the ingest in
--   the transaction that writes the execution; `_analytics_models` holds, per model, the
--   fingerprint of the definition its table (or view) was built from.
--   `_analytics_pending_ahead` holds the pending identities the models kept per execution have
--   already consumed, built during a load in several batches (build_ahead); the other models
--   still read them, through `_analytics_pending_all`.
--   `_execution_identity` is what places an execution in the results (the columns an
--   incremental model's unique_key is drawn from), written once for the build's statements.
-- columns: creates tables and a view
CREATE TABLE IF NOT EXISTS _analytics_pending (
    cdf_project VARCHAR NOT NULL,
    execution_id VARCHAR NOT NULL,
    workflow_external_id VARCHAR,
    day DATE
);
CREATE TABLE IF NOT EXISTS _analytics_pending_ahead (
    cdf_project VARCHAR NOT NULL,
    execution_id VARCHAR NOT NULL,
    workflow_external_id VARCHAR,
    day DATE
);
-- IF NOT EXISTS: opening a warehouse with nothing new writes nothing to its file.
CREATE VIEW IF NOT EXISTS _analytics_pending_all AS
SELECT cdf_project, execution_id, workflow_external_id, day FROM _analytics_pending
UNION ALL
SELECT cdf_project, execution_id, workflow_external_id, day FROM _analytics_pending_ahead;
CREATE TABLE IF NOT EXISTS _analytics_models (
    name VARCHAR PRIMARY KEY,
    fingerprint VARCHAR NOT NULL,
    built_at TIMESTAMPTZ NOT NULL,
    full_built_at TIMESTAMPTZ NOT NULL,
    row_count BIGINT  -- NULL for a view
);
CREATE VIEW IF NOT EXISTS _execution_identity AS
SELECT
    cdf_project,
    execution_id,
    workflow_external_id,
    (created_time AT TIME ZONE 'UTC')::DATE AS day
FROM workflow_executions;
