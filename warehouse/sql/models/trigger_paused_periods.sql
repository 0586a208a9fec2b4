-- trigger_paused_periods
-- Description: stretches of consecutive expected fires with no fire recorded at all. CDF keeps
--   no pause history and records no fire while a trigger is paused, so a paused period shows
--   as such a stretch (a trigger that silently stopped firing looks the same). The period runs
--   from its first silent slot to its last; resumed_scheduled_time is the next slot that fired
--   (NULL while the stretch lasts up to the latest expected fire).
-- Grain: one row per (cdf_project, trigger_external_id, first_silent_time).
-- Columns: cdf_project, trigger_external_id, workflow_external_id, first_silent_time, last_silent_time,
--   silent_fires, last_fire_before, resumed_scheduled_time, still_silent, is_paused_now.
WITH numbered AS (
    SELECT
        *,
        max(fire_time) OVER (
            PARTITION BY cdf_project, trigger_external_id ORDER BY scheduled_time
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS last_fire_before,
        row_number() OVER (
            PARTITION BY cdf_project, trigger_external_id ORDER BY scheduled_time
        )
        - row_number() OVER (
            PARTITION BY cdf_project, trigger_external_id, outcome = 'not_fired'
            ORDER BY scheduled_time
        ) AS island
    FROM {{ ref('trigger_fire_checks') }}
)
SELECT
    cdf_project,
    trigger_external_id,
    any_value(workflow_external_id) AS workflow_external_id,
    min(scheduled_time) AS first_silent_time,
    max(scheduled_time) AS last_silent_time,
    count(*) AS silent_fires,
    min(last_fire_before) AS last_fire_before,
    arg_max(next_scheduled_time, scheduled_time) AS resumed_scheduled_time,
    arg_max(next_scheduled_time, scheduled_time) IS NULL AS still_silent,
    bool_or(is_paused_now) AS is_paused_now
FROM numbered
WHERE outcome = 'not_fired'
GROUP BY cdf_project, trigger_external_id, island
