-- trigger_fire_checks
-- Description: every fire a schedule trigger's cron promised (trigger_expected_fires, expanded
--   in the trigger's time zone at ingest) against what happened: the trigger's fire in that slot
--   (trigger_runs) and the execution it started (workflow_executions). A fire belongs to the
--   slot from 5 s before its scheduled time up to 5 s before the next scheduled time (for the
--   latest slot: one period after it). Several fires in a slot: a successful one is chosen,
--   then the earliest. Outcome: 'ran' (a successful fire), 'failed' (only failed fires),
--   'not_fired' (no fire at all: the trigger was paused or did not fire), or the fire's own
--   status when it is neither success nor failed (kept visible). Lateness is measured from the
--   scheduled time: fire_lateness_ms to the fire, start_lateness_ms to the execution's
--   start_time (queueing included).
-- Grain: one row per (cdf_project, trigger_external_id, scheduled_time) in
--   trigger_expected_fires. Fires, triggers and executions are matched within the project.
-- Columns: cdf_project, trigger_external_id, workflow_external_id, scheduled_time, day, local_time,
--   timezone, next_scheduled_time, fires_in_slot, fire_time, fire_status, outcome, is_missed,
--   reason_for_failure, workflow_execution_id, execution_found, execution_status,
--   execution_created_time, execution_start_time, fire_lateness_ms, start_lateness_ms,
--   is_paused_now.
WITH expected AS (
    SELECT
        e.cdf_project,
        e.trigger_external_id,
        e.scheduled_time,
        e.local_time,
        e.timezone,
        lead(e.scheduled_time) OVER w AS next_scheduled_time,
        coalesce(
            lead(e.scheduled_time) OVER w,
            e.scheduled_time + (e.scheduled_time - lag(e.scheduled_time) OVER w),
            e.scheduled_time + INTERVAL 1 DAY
        ) AS slot_end
    FROM {{ source('trigger_expected_fires') }} AS e
    WINDOW w AS (PARTITION BY e.cdf_project, e.trigger_external_id ORDER BY e.scheduled_time)
),
-- Each fire in its slot: the slots of a trigger follow each other, so a fire's slot is the
-- latest one starting at or before it (an ASOF join), if the fire is before that slot's end
-- (only the latest slot can end before the next fire). A range join of every fire with every
-- slot of its trigger grew with the square of the history.
slotted AS (
    SELECT
        x.cdf_project,
        x.trigger_external_id,
        x.scheduled_time,
        r.fire_time,
        r.status,
        r.reason_for_failure,
        r.workflow_execution_id
    FROM {{ source('trigger_runs') }} AS r
    ASOF JOIN expected AS x
        ON r.cdf_project = x.cdf_project
        AND r.trigger_external_id = x.trigger_external_id
        AND r.fire_time + INTERVAL 5 SECOND >= x.scheduled_time
    WHERE r.fire_time < x.slot_end - INTERVAL 5 SECOND
),
candidates AS (
    SELECT
        x.*,
        r.fire_time,
        r.status AS fire_status,
        r.reason_for_failure,
        r.workflow_execution_id,
        count(r.fire_time) OVER slot AS fires_in_slot,
        row_number() OVER (
            PARTITION BY x.cdf_project, x.trigger_external_id, x.scheduled_time
            ORDER BY coalesce(r.status = 'success', FALSE) DESC, r.fire_time
        ) AS pick
    FROM expected AS x
    LEFT JOIN slotted AS r
        ON r.cdf_project = x.cdf_project
        AND r.trigger_external_id = x.trigger_external_id
        AND r.scheduled_time = x.scheduled_time
    WINDOW slot AS (PARTITION BY x.cdf_project, x.trigger_external_id, x.scheduled_time)
)
SELECT
    c.cdf_project,
    c.trigger_external_id,
    t.workflow_external_id,
    c.scheduled_time,
    (c.scheduled_time AT TIME ZONE 'UTC')::DATE AS day,
    c.local_time,
    c.timezone,
    c.next_scheduled_time,
    c.fires_in_slot,
    c.fire_time,
    c.fire_status,
    CASE
        WHEN c.fire_time IS NULL THEN 'not_fired'
        WHEN c.fire_status = 'success' THEN 'ran'
        ELSE c.fire_status
    END AS outcome,
    coalesce(c.fire_status <> 'success', TRUE) AS is_missed,
    c.reason_for_failure,
    c.workflow_execution_id,
    ex.execution_id IS NOT NULL AS execution_found,
    ex.status AS execution_status,
    ex.created_time AS execution_created_time,
    ex.start_time AS execution_start_time,
    date_sub('millisecond', c.scheduled_time, c.fire_time) AS fire_lateness_ms,
    date_sub('millisecond', c.scheduled_time, ex.start_time) AS start_lateness_ms,
    coalesce(t.is_paused, FALSE) AS is_paused_now
FROM candidates AS c
LEFT JOIN {{ source('workflow_triggers') }} AS t
    ON t.cdf_project = c.cdf_project AND t.trigger_external_id = c.trigger_external_id
LEFT JOIN {{ source('workflow_executions') }} AS ex
    ON ex.cdf_project = c.cdf_project AND ex.execution_id = c.workflow_execution_id
WHERE c.pick = 1
