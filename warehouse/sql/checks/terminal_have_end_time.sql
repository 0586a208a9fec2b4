-- check: terminal_have_end_time
-- asset: workflow_executions
-- description: executions in a terminal status (COMPLETED, FAILED, TIMED_OUT, TERMINATED) have
--   an end_time.
-- returns: terminal executions without end_time.
SELECT execution_id, workflow_external_id, status
FROM workflow_executions
WHERE status IN ('COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED')
  AND end_time IS NULL
