-- trigger_misses
-- Description: the scheduled runs that never happened: expected fires whose slot had no
--   successful fire. miss_kind 'failed_fire' when the trigger fired and the fire failed (the
--   reason is CDF's reasonForFailure, e.g. an expired session), 'not_fired' when no fire was
--   recorded at all (CDF records none while a trigger is paused), or the fire's own status when
--   it is neither. No execution exists for these slots.
-- Grain: one row per missed (cdf_project, trigger_external_id, scheduled_time).
-- Columns: cdf_project, trigger_external_id, workflow_external_id, scheduled_time, day, local_time,
--   timezone, miss_kind, fire_time, reason, is_paused_now.
SELECT
    cdf_project,
    trigger_external_id,
    workflow_external_id,
    scheduled_time,
    day,
    local_time,
    timezone,
    CASE outcome WHEN 'failed' THEN 'failed_fire' ELSE outcome END AS miss_kind,
    fire_time,
    CASE
        WHEN outcome = 'not_fired' THEN 'no fire recorded: trigger paused or not firing'
        ELSE coalesce(reason_for_failure, 'fire status ' || fire_status)
    END AS reason,
    is_paused_now
FROM {{ ref('trigger_fire_checks') }}
WHERE is_missed
