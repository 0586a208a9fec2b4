-- events_source_flags
-- Description: alert events for executions that were stored but carry source anomalies
--   (quality_flags) named in $anomaly_flags: one 'source_anomaly' event per CDF project,
--   workflow and UTC day of the execution's created_time, when that day has at least
--   $min_flagged executions with one of those flags. A clock-skew flag (start_before_created,
--   end_before_start, task_before_execution_start, task_after_execution_end) counts only when
--   its skew is at least $min_skew_ms: CDF's services do not share a clock, so a few ms is
--   normal. The day is the run's own (not the day it was ingested): a re-ingest of the same
--   run, or a backfill of old days, does not make a new event (old days are history for the
--   alerts run). event_time is the latest flagged execution's created_time; detail names each
--   flag with its execution count and that latest execution; flag_counts is the same as a map.
--   The key's "source_flags:" prefix keeps these events apart from the rejected-records ones.
-- Depends: workflow_executions (quality_flags holds its task rows' flags too), task_executions.
-- Columns: the alert event columns (warehouse.alerts.EVENT_COLUMNS).
WITH candidates AS (
    SELECT
        cdf_project,
        workflow_external_id,
        execution_id,
        created_time,
        start_time,
        end_time,
        list_intersect(quality_flags, $anomaly_flags::VARCHAR[]) AS named
    FROM workflow_executions
    WHERE (created_time AT TIME ZONE 'UTC')::DATE >= ($since AT TIME ZONE 'UTC')::DATE
        AND len(list_intersect(quality_flags, $anomaly_flags::VARCHAR[])) > 0
),
task_times AS (
    SELECT
        t.cdf_project,
        t.execution_id,
        max(epoch_ms(t.start_time) - epoch_ms(t.end_time)) AS task_end_before_start_ms,
        min(t.start_time) AS first_task_start,
        max(t.end_time) AS last_task_end
    FROM task_executions AS t
    SEMI JOIN candidates AS c ON c.cdf_project = t.cdf_project AND c.execution_id = t.execution_id
    GROUP BY ALL
),
measured AS (
    SELECT
        c.*,
        epoch_ms(c.created_time) - epoch_ms(c.start_time) AS start_before_created_ms,
        greatest(epoch_ms(c.start_time) - epoch_ms(c.end_time), s.task_end_before_start_ms)
            AS end_before_start_ms,
        epoch_ms(c.start_time) - epoch_ms(s.first_task_start) AS task_before_execution_start_ms,
        epoch_ms(s.last_task_end) - epoch_ms(c.end_time) AS task_after_execution_end_ms
    FROM candidates AS c
    LEFT JOIN task_times AS s ON s.cdf_project = c.cdf_project AND s.execution_id = c.execution_id
),
flagged AS (
    -- A skew that cannot be measured (a time missing) counts, as the flag says it is there.
    SELECT
        cdf_project,
        workflow_external_id,
        (created_time AT TIME ZONE 'UTC')::DATE AS day,
        created_time,
        execution_id,
        list_filter(named, lambda f: CASE f
            WHEN 'start_before_created' THEN coalesce(start_before_created_ms, $min_skew_ms)
            WHEN 'end_before_start' THEN coalesce(end_before_start_ms, $min_skew_ms)
            WHEN 'task_before_execution_start'
                THEN coalesce(task_before_execution_start_ms, $min_skew_ms)
            WHEN 'task_after_execution_end'
                THEN coalesce(task_after_execution_end_ms, $min_skew_ms)
            ELSE $min_skew_ms
        END >= $min_skew_ms) AS flags
    FROM measured
),
days AS (
    SELECT
        cdf_project,
        workflow_external_id,
        day,
        count(*) AS executions,
        max(created_time) AS last_created,
        arg_max(execution_id, (created_time, execution_id)) AS last_execution_id
    FROM flagged
    WHERE len(flags) > 0
    GROUP BY ALL
    HAVING count(*) >= $min_flagged
),
per_flag AS (
    SELECT cdf_project, workflow_external_id, day, flag, count(*) AS n
    FROM (
        SELECT cdf_project, workflow_external_id, day, unnest(flags) AS flag FROM flagged
    )
    GROUP BY ALL
),
flag_lists AS (
    SELECT
        cdf_project,
        workflow_external_id,
        day,
        map_from_entries(list((flag, n) ORDER BY n DESC, flag)) AS flag_counts,
        string_agg(flag || ' ' || n, ', ' ORDER BY n DESC, flag) AS flag_text
    FROM per_flag
    GROUP BY ALL
)
SELECT
    'source_flags:' || d.cdf_project || ':' || d.workflow_external_id || ':'
        || strftime(d.day, '%Y-%m-%d') AS event_key,
    'source_anomaly' AS kind,
    d.cdf_project,
    d.workflow_external_id,
    d.last_created AS event_time,
    NULL::VARCHAR AS execution_id,
    NULL::VARCHAR AS trigger_external_id,
    NULL::VARCHAR AS status,
    $min_flagged::BIGINT AS target_ms,
    d.executions AS actual_ms,
    NULL::BIGINT AS over_target_ms,
    NULL::BIGINT AS late_by_ms,
    NULL::TIMESTAMPTZ AS deadline_at,
    d.executions || ' executions stored with source anomalies on '
        || strftime(d.day, '%Y-%m-%d') || ': ' || f.flag_text
        || '; latest: ' || d.last_execution_id AS detail,
    f.flag_counts
FROM days AS d
JOIN flag_lists AS f USING (cdf_project, workflow_external_id, day)
WHERE d.last_created >= $since
ORDER BY event_time, event_key;
