-- Report: per schedule trigger, fires expected, runs that happened, failed and missing fires,
-- and p95 lateness of fires and starts against the schedule.
--   Filters: $project, $workflow, $since, $until (NULL: all).
SELECT
    trigger_external_id AS trigger,
    any_value(workflow_external_id) AS workflow,
    count(*) AS expected,
    count(*) FILTER (WHERE outcome = 'ran') AS ran,
    count(*) FILTER (WHERE outcome = 'failed') AS failed_fires,
    count(*) FILTER (WHERE outcome = 'not_fired') AS not_fired,
    round(quantile_cont(fire_lateness_ms, 0.95) FILTER (WHERE outcome = 'ran'))::BIGINT
        AS p95_fire_lateness_ms,
    round(quantile_cont(start_lateness_ms, 0.95) FILTER (WHERE outcome = 'ran'))::BIGINT
        AS p95_start_lateness_ms,
    max(scheduled_time) FILTER (WHERE is_missed) AS last_missed
FROM trigger_fire_checks
WHERE ($project IS NULL OR cdf_project = $project)
    AND ($workflow IS NULL OR workflow_external_id = $workflow)
    AND ($since IS NULL OR day >= $since)
    AND ($until IS NULL OR day <= $until)
GROUP BY trigger_external_id
ORDER BY count(*) FILTER (WHERE is_missed) DESC, trigger_external_id;
