-- Report: the ? most frequent normalised failure reasons of one source ('execution' or 'task').
SELECT
    normalized_reason AS reason,
    occurrences,
    executions,
    workflows_affected,
    first_seen,
    last_seen
FROM failure_reasons
WHERE source = ?
ORDER BY occurrences DESC, normalized_reason
LIMIT ?;
