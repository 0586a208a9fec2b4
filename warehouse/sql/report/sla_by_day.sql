-- Report: SLA breaches per UTC day over all workflows.
SELECT
    day,
    sum(duration_breaches)::BIGINT AS duration_breaches,
    sum(deadline_breaches)::BIGINT AS deadline_breaches,
    sum(breaching_executions)::BIGINT AS breaching_executions
FROM sla_breaches_daily
GROUP BY day
ORDER BY day;
