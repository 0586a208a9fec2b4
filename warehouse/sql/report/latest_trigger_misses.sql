-- Report: the $top most recent scheduled runs that never happened (failed fire or no fire).
--   Filters: $project, $workflow, $since, $until (NULL: all).
SELECT
    workflow_external_id AS workflow,
    trigger_external_id AS trigger,
    scheduled_time,
    miss_kind,
    reason
FROM trigger_misses
WHERE ($project IS NULL OR cdf_project = $project)
    AND ($workflow IS NULL OR workflow_external_id = $workflow)
    AND ($since IS NULL OR day >= $since)
    AND ($until IS NULL OR day <= $until)
ORDER BY scheduled_time DESC, trigger_external_id
LIMIT $top;
