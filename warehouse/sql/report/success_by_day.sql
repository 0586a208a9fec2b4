-- Report: success rate per UTC day over all workflows (terminal executions only).
SELECT
    day,
    sum(executions)::BIGINT AS executions,
    sum(completed)::BIGINT AS completed,
    sum(failed)::BIGINT AS failed,
    sum(completed) / nullif(sum(completed) + sum(failed), 0) AS success_rate
FROM execution_durations_daily
GROUP BY day
ORDER BY day;
