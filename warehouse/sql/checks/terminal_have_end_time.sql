-- check: terminal_have_end_time
-- asset: workflow_executions
-- severity: warn
-- why: the store writes an execution's row whole from the detail CDF sent, so a terminal run
--   without end_time is what the source sent, not a write that went wrong; the run is kept and
--   the duration views leave its duration empty.
-- description: executions in a terminal status (COMPLETED, FAILED, TIMED_OUT, TERMINATED) have
--   an end_time.
-- summary: {count} terminal executions sent without an end time
-- returns: terminal executions without end_time.
SELECT cdf_project, execution_id, workflow_external_id, status
FROM {{ executions }}
WHERE status IN ('COMPLETED', 'FAILED', 'TIMED_OUT', 'TERMINATED')
  AND end_time IS NULL
