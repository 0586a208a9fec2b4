-- description: Cut the stored executions (and task rows without one) into slices for a whole
--   rebuild, or (scoped) the executions in `_analytics_scope` for a large incremental
--   recomputation: whole groups of the model's unique_key (an execution, or a workflow's
--   executions), about $size executions per slice, so each query works on one slice.
--   Groups are taken in the order their first execution was written (then by key): the ingest
--   appends, so a slice of executions is a run of neighbouring rows in each table, and a
--   query restricted to it can skip the row groups around it (see slice_bounds.sql).
-- depends: _execution_identity, task_executions, workflow_executions, _analytics_scope (scoped)
-- columns: cdf_project, execution_id, slice
CREATE OR REPLACE TEMP TABLE _analytics_slices AS
WITH identity AS (
{% if scoped %}
    -- An incremental recomputation: the executions of its touched keys.
    SELECT * FROM _execution_identity
    WHERE (cdf_project, execution_id) IN (SELECT cdf_project, execution_id FROM _analytics_scope)
{% else %}
    SELECT * FROM _execution_identity
    UNION ALL
    -- Task rows without their execution's row (the store never writes them, but the
    -- definitions count them) form groups of their own.
    SELECT DISTINCT t.cdf_project, t.execution_id, NULL, NULL
    FROM task_executions AS t
    WHERE NOT EXISTS (
        SELECT 1 FROM workflow_executions AS e
        WHERE e.cdf_project = t.cdf_project AND e.execution_id = t.execution_id
    )
{% endif %}
),
written AS (
    SELECT cdf_project, execution_id, rowid AS position FROM workflow_executions
),
groups AS (
    SELECT {% for column in key %}i.{{ column }}, {% endfor %}count(*) AS executions,
        min(w.position) AS first_position
    FROM identity AS i
    LEFT JOIN written AS w USING (cdf_project, execution_id)
    GROUP BY ALL
),
placed AS (
    SELECT
        *,
        (sum(executions) OVER (
            ORDER BY first_position, {{ key | join(', ') }}
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) - executions) // $size AS slice
    FROM groups
)
SELECT i.cdf_project, i.execution_id, p.slice
FROM identity AS i
JOIN placed AS p
    ON {% for column in key %}{% if not loop.first %} AND {% endif %}i.{{ column }} IS NOT DISTINCT FROM p.{{ column }}{% endfor %}
