-- check: no_future_timestamps
-- asset: workflow_executions
-- description: no execution time lies after now (plus $tolerance_ms ms of clock skew).
-- returns: executions with a time in the future.
SELECT execution_id, created_time, start_time, end_time
FROM workflow_executions
WHERE greatest(created_time, coalesce(start_time, created_time), coalesce(end_time, created_time))
      > now() + to_milliseconds($tolerance_ms)
