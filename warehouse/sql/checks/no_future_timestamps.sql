-- check: no_future_timestamps
-- asset: workflow_executions
-- severity: warn
-- why: times are stored as CDF sent them; a time ahead of this machine's clock is clock skew at
--   the source (or here), not a write that went wrong. Items more than a day ahead are rejected
--   at the list, so what is left here is near-future noise.
-- description: no execution time lies after now (plus $tolerance_ms ms of clock skew).
-- summary: {count} executions with a time ahead of the clock
-- returns: executions with a time in the future.
SELECT cdf_project, execution_id, created_time, start_time, end_time
FROM {{ executions }}
WHERE greatest(created_time, coalesce(start_time, created_time), coalesce(end_time, created_time))
      > now() + to_milliseconds($tolerance_ms)
