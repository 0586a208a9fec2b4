-- sla_checks
-- Description: every execution checked against its workflow's SLA targets (table sla_targets,
--   loaded from the CSV analysts edit). A value missing on the workflow's row is taken from the
--   '*' row. A budget given as a percentile (`p95` in the file, duration_percentile here) is
--   that nearest-rank quantile of the workflow's own COMPLETED run durations in this CDF
--   project over the whole history (no budget while it has fewer than 20 such runs); a workflow
--   row's own budget, fixed or percentile, beats the '*' row's. Duration budget: the run's duration (for a run still going, the time since it
--   started until "now") exceeds max_duration_ms. Deadline: the run was created on day D no
--   later than D + deadline_utc and finished after it, or has not finished while "now" is past
--   it. Targets are per workflow externalId and apply alike in every CDF project (sla_targets
--   has no cdf_project). "Now" is now() unless the session sets `SET VARIABLE analytics_now = TIMESTAMPTZ '...'`.
-- Grain: one row per (cdf_project, execution_id) (all executions, breaching or not).
-- Columns: cdf_project, execution_id, workflow_external_id, workflow_version, day, status, created_time,
--   start_time, end_time, still_running, elapsed_ms, max_duration_ms, over_budget_ms,
--   deadline_utc, deadline_at, late_by_ms, target_source, breached_duration,
--   breached_deadline, breached.
WITH baselines AS (
    -- Each workflow's completed run durations, sorted, for percentile budgets.
    SELECT
        cdf_project,
        workflow_external_id,
        list(duration_ms ORDER BY duration_ms) AS sorted_ms
    FROM {{ ref('execution_facts') }}
    WHERE is_success AND duration_ms IS NOT NULL
    GROUP BY cdf_project, workflow_external_id
    HAVING count(*) >= 20
),
percentile_budgets AS (
    -- The percentile budgets each workflow's own row and the '*' row give it, picked from the
    -- sorted durations once per workflow (not carried along every execution's row).
    SELECT
        b.cdf_project,
        b.workflow_external_id,
        b.sorted_ms[greatest(1, ceil(w.duration_percentile * len(b.sorted_ms)))::BIGINT]
            AS own_ms,
        b.sorted_ms[greatest(1, ceil(d.duration_percentile * len(b.sorted_ms)))::BIGINT]
            AS default_ms
    FROM baselines AS b
    LEFT JOIN {{ source('sla_targets') }} AS w ON w.workflow_external_id = b.workflow_external_id
    LEFT JOIN {{ source('sla_targets') }} AS d ON d.workflow_external_id = '*'
),
base AS (
    SELECT
        f.*,
        coalesce(getvariable('analytics_now')::TIMESTAMPTZ, now()) AS ref_now,
        -- Unknown statuses with no end are treated like running: they may still finish late.
        f.end_time IS NULL AND NOT f.is_terminal AS still_running,
        CASE
            WHEN w.max_duration_ms IS NOT NULL THEN w.max_duration_ms
            WHEN w.duration_percentile IS NOT NULL THEN b.own_ms
            WHEN d.max_duration_ms IS NOT NULL THEN d.max_duration_ms
            WHEN d.duration_percentile IS NOT NULL THEN b.default_ms
        END AS max_duration_ms,
        coalesce(w.deadline_utc, d.deadline_utc) AS deadline_utc,
        CASE
            WHEN w.workflow_external_id IS NOT NULL THEN 'workflow'
            WHEN d.workflow_external_id IS NOT NULL THEN 'default'
        END AS target_source
    FROM {{ ref('execution_facts') }} AS f
    LEFT JOIN {{ source('sla_targets') }} AS w ON w.workflow_external_id = f.workflow_external_id
    LEFT JOIN {{ source('sla_targets') }} AS d ON d.workflow_external_id = '*'
    LEFT JOIN percentile_budgets AS b
        ON b.cdf_project = f.cdf_project
        AND b.workflow_external_id IS NOT DISTINCT FROM f.workflow_external_id
),
timed AS (
    SELECT
        *,
        CASE
            WHEN still_running AND start_time IS NOT NULL
                THEN date_sub('millisecond', start_time, ref_now)
            ELSE duration_ms
        END AS elapsed_ms,
        -- The day's deadline as a UTC instant.
        (day + deadline_utc) AT TIME ZONE 'UTC' AS deadline_at
    FROM base
),
judged AS (
    SELECT
        *,
        coalesce(elapsed_ms > max_duration_ms, FALSE) AS breached_duration,
        coalesce(
            created_time <= deadline_at
            AND (end_time > deadline_at OR (still_running AND ref_now > deadline_at)),
            FALSE
        ) AS breached_deadline
    FROM timed
)
SELECT
    cdf_project,
    execution_id,
    workflow_external_id,
    workflow_version,
    day,
    status,
    created_time,
    start_time,
    end_time,
    still_running,
    elapsed_ms,
    max_duration_ms,
    CASE WHEN breached_duration THEN elapsed_ms - max_duration_ms END AS over_budget_ms,
    deadline_utc,
    deadline_at,
    CASE WHEN breached_deadline
        THEN date_sub('millisecond', deadline_at, coalesce(end_time, ref_now)) END AS late_by_ms,
    target_source,
    breached_duration,
    breached_deadline,
    breached_duration OR breached_deadline AS breached
FROM judged
