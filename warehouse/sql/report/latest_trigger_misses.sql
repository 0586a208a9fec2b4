-- Report: the ? most recent scheduled runs that never happened (failed fire or no fire).
SELECT
    workflow_external_id AS workflow,
    trigger_external_id AS trigger,
    scheduled_time,
    miss_kind,
    reason
FROM trigger_misses
ORDER BY scheduled_time DESC, trigger_external_id
LIMIT ?;
