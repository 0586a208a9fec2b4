-- capacity_concurrency_daily
-- Description: the most executions running at once in each CDF project on each UTC day, against
--   CDF's cap of 50, from [start_time, end_time) intervals. A run that has not finished runs
--   until "now" (now() unless `SET VARIABLE analytics_now = ...`), but never past CDF's 24 h
--   cap. Runs without a start (queued), terminal runs without an end, and runs that end before
--   they start have no interval and are counted in intervals_unknown instead.
-- Grain: one row per (cdf_project, UTC day) from the project's first start to its last end.
-- Columns: cdf_project, day, peak_concurrent, peak_at, concurrency_cap, peak_utilisation,
--   executions_started, intervals_unknown.
WITH intervals AS (
    SELECT
        cdf_project,
        execution_id,
        start_time,
        CASE
            WHEN end_time IS NOT NULL THEN end_time
            WHEN NOT is_terminal THEN least(
                coalesce(getvariable('analytics_now')::TIMESTAMPTZ, now()),
                start_time + INTERVAL 24 HOUR)
        END AS stop_time,
        day AS created_day
    FROM {{ ref('execution_facts') }}
),
valid AS (
    SELECT * FROM intervals
    WHERE start_time IS NOT NULL AND stop_time IS NOT NULL AND stop_time >= start_time
),
days AS (
    SELECT cdf_project, unnest(generate_series(
        (min(start_time) AT TIME ZONE 'UTC')::DATE,
        (max(stop_time) AT TIME ZONE 'UTC')::DATE,
        INTERVAL 1 DAY))::DATE AS day
    FROM valid
    GROUP BY cdf_project
),
events AS (
    -- At one instant ends go first (half-open intervals: a run ending when another starts
    -- does not overlap it), then starts, then the midnight marker that carries the level
    -- running into a new day.
    SELECT cdf_project, stop_time AS event_time, -1 AS delta, 0 AS kind FROM valid
    UNION ALL
    SELECT cdf_project, start_time, 1, 1 FROM valid
    UNION ALL
    SELECT cdf_project, day::TIMESTAMP AT TIME ZONE 'UTC', 0, 2 FROM days
),
levels AS (
    SELECT
        cdf_project,
        event_time,
        (event_time AT TIME ZONE 'UTC')::DATE AS day,
        sum(delta) OVER (
            PARTITION BY cdf_project ORDER BY event_time, kind ROWS UNBOUNDED PRECEDING
        ) AS level
    FROM events
),
peaks AS (
    SELECT
        cdf_project,
        day,
        max(level) AS peak_concurrent,
        arg_min(event_time, (-level, event_time)) AS peak_at
    FROM levels
    GROUP BY cdf_project, day
),
started AS (
    SELECT
        cdf_project,
        (start_time AT TIME ZONE 'UTC')::DATE AS day,
        count(*) AS executions_started
    FROM valid
    GROUP BY ALL
),
unknown AS (
    SELECT cdf_project, created_day AS day, count(*) AS intervals_unknown
    FROM intervals
    WHERE start_time IS NULL OR stop_time IS NULL OR stop_time < start_time
    GROUP BY ALL
)
SELECT
    d.cdf_project,
    d.day,
    coalesce(p.peak_concurrent, 0)::BIGINT AS peak_concurrent,
    p.peak_at,
    50 AS concurrency_cap,
    coalesce(p.peak_concurrent, 0) / 50 AS peak_utilisation,
    coalesce(s.executions_started, 0) AS executions_started,
    coalesce(u.intervals_unknown, 0) AS intervals_unknown
FROM (SELECT cdf_project, day FROM days UNION SELECT cdf_project, day FROM unknown) AS d
LEFT JOIN peaks AS p USING (cdf_project, day)
LEFT JOIN started AS s USING (cdf_project, day)
LEFT JOIN unknown AS u USING (cdf_project, day)
