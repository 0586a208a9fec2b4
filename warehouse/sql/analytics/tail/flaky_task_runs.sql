-- description: Where each touched workflow's rows of flaky_task_runs may have changed. A row's
--   next_decided is the next success or failure of its task in the workflow, so a pending
--   execution (at its old or new place, no earlier than t0, the first day of the workflow's
--   pending executions) changes its own rows and, for each task it runs or ran, every row from
--   the last decided row of that task before t0 on (from the task's first row when none before
--   t0 is decided). The boundary is the earliest of those, or t0.
--   In steps: each touched workflow's t0, then its tasks into a table of their own (2,728 rows
--   after the 1.15M executions of a 2M first load's second run), so the last statement joins a
--   small table of known size with the stored rows; as one statement, that join ran out of the
--   build's 512 MB there.
-- depends: the model's table (as stored before this build), `pending` (its pending
--   identities, _analytics_pending_all); new_rows: the model's rows for the pending
--   executions, as they are now (its definition restricted to them, rendered in)
-- columns: _analytics_tail_starts (cdf_project, workflow_external_id, t0);
--   _analytics_tail_tasks (cdf_project, workflow_external_id, task_key, t0);
--   _analytics_tail (cdf_project, workflow_external_id, boundary {t, id})
CREATE OR REPLACE TEMP TABLE _analytics_tail_starts AS
SELECT
    cdf_project,
    workflow_external_id,
    coalesce(min(day)::TIMESTAMP AT TIME ZONE 'UTC', '-infinity'::TIMESTAMPTZ) AS t0
FROM {{ pending }}
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE _analytics_tail_tasks AS
WITH new_rows AS (
{{ new_rows }}
)
SELECT r.cdf_project, r.workflow_external_id, r.task_key, s.t0
FROM {{ model }} AS r
JOIN _analytics_tail_starts AS s
    ON r.cdf_project = s.cdf_project
    AND r.workflow_external_id IS NOT DISTINCT FROM s.workflow_external_id
WHERE r.execution_created_time >= s.t0
UNION
SELECT n.cdf_project, n.workflow_external_id, n.task_key, s.t0
FROM new_rows AS n
JOIN _analytics_tail_starts AS s
    ON n.cdf_project = s.cdf_project
    AND n.workflow_external_id IS NOT DISTINCT FROM s.workflow_external_id;

CREATE OR REPLACE TEMP TABLE _analytics_tail AS
WITH recent AS (
    -- The last decided row of each task in the week before t0 is, where there is one, its last
    -- decided row before t0: only a task without one needs its whole history (below).
    SELECT
        k.cdf_project,
        k.workflow_external_id,
        k.task_key,
        max({'t': r.execution_created_time, 'id': r.execution_id}) AS boundary
    FROM _analytics_tail_tasks AS k
    JOIN {{ model }} AS r
        ON r.cdf_project = k.cdf_project
        AND r.workflow_external_id IS NOT DISTINCT FROM k.workflow_external_id
        AND r.task_key IS NOT DISTINCT FROM k.task_key
    WHERE r.execution_created_time < k.t0
        AND r.execution_created_time >= k.t0 - INTERVAL 7 DAY
        AND r.outcome IN ('success', 'failure')
    GROUP BY k.cdf_project, k.workflow_external_id, k.task_key
),
older AS (
    SELECT
        k.cdf_project,
        k.workflow_external_id,
        coalesce(
            max({'t': r.execution_created_time, 'id': r.execution_id})
                FILTER (WHERE r.outcome IN ('success', 'failure')),
            min({'t': r.execution_created_time, 'id': r.execution_id})
        ) AS boundary
    FROM _analytics_tail_tasks AS k
    ANTI JOIN recent AS n
        ON n.cdf_project = k.cdf_project
        AND n.workflow_external_id IS NOT DISTINCT FROM k.workflow_external_id
        AND n.task_key IS NOT DISTINCT FROM k.task_key
    JOIN {{ model }} AS r
        ON r.cdf_project = k.cdf_project
        AND r.workflow_external_id IS NOT DISTINCT FROM k.workflow_external_id
        AND r.task_key IS NOT DISTINCT FROM k.task_key
    WHERE r.execution_created_time < k.t0
    GROUP BY k.cdf_project, k.workflow_external_id, k.task_key
),
earlier AS (
    SELECT cdf_project, workflow_external_id, boundary FROM recent
    UNION ALL
    SELECT cdf_project, workflow_external_id, boundary FROM older
)
SELECT
    s.cdf_project,
    s.workflow_external_id,
    coalesce(min(b.boundary), {'t': s.t0, 'id': ''}) AS boundary
-- Every touched workflow, with its tasks or without any.
FROM _analytics_tail_starts AS s
LEFT JOIN earlier AS b
    ON b.cdf_project = s.cdf_project
    AND b.workflow_external_id IS NOT DISTINCT FROM s.workflow_external_id
GROUP BY s.cdf_project, s.workflow_external_id, s.t0
