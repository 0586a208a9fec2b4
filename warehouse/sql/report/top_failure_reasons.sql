-- Report: the $top most frequent normalised failure reasons of one source ('execution' or 'task').
--   Filters: $project; $since/$until keep the reasons seen in the range (their counts cover the
--   whole history). The view has no workflow column, so $workflow does not apply.
SELECT
    normalized_reason AS reason,
    occurrences,
    executions,
    workflows_affected,
    first_seen,
    last_seen
FROM failure_reasons
WHERE source = $source
    AND ($project IS NULL OR cdf_project = $project)
    AND ($since IS NULL OR last_seen::DATE >= $since)
    AND ($until IS NULL OR first_seen::DATE <= $until)
ORDER BY occurrences DESC, normalized_reason
LIMIT $top;
