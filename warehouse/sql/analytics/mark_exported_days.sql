-- description: Mark the Parquet partitions (days) of an exported model that this build
--   changed: the old and new days of the executions recomputed, and every day of a model
--   rebuilt whole. The marks are cleared once the files are written, so a crash before that
--   leaves them for the next flush.
-- depends: `pending` (the model's pending identities: _analytics_pending, or
--   _analytics_pending_all), _dirty_partitions, the model's table
INSERT OR IGNORE INTO _dirty_partitions (table_name, partition_date)
SELECT $1, day FROM {{ pending }} WHERE day IS NOT NULL
{% if full %}
UNION
SELECT DISTINCT $1, day FROM {{ model }} WHERE day IS NOT NULL
{% endif %}
