-- critical_paths
-- Description: per execution, the chain of tasks along dependsOn (from the definition the run
--   used, joined by cdf_project and definition_hash) whose task durations add up to the most, and the task that
--   takes the largest share of it. A task's duration is the sum of its attempts' durations;
--   for a dynamic or subworkflow task it is at least the span of its children (first child
--   start to last child end), since the children run on its behalf; children the source sent
--   without parentTaskExternalId count under the parent the flattener inferred (a dynamic task
--   that only dispatches then weighs what its children ran). Tasks that did not run
--   count 0. Ties go to the shorter chain, then to the alphabetically first one. Computed by a
--   recursive CTE that keeps only the best chain per (task, chain length), so it stays
--   polynomial on wide graphs; dependsOn cycles are cut.
-- Grain: one row per (cdf_project, execution_id) (every execution; path columns NULL with path_status
--   'no_definition' or 'no_tasks' when there is nothing to compute).
-- Columns: cdf_project, execution_id, workflow_external_id, workflow_version, day, status, duration_ms,
--   task_rows, path_status, critical_path, critical_path_tasks, critical_path_ms,
--   dominant_task_external_id, dominant_task_ms, dominant_share.
{{ config(materialized='incremental', unique_key=['cdf_project', 'execution_id'], parquet='day') }}
WITH RECURSIVE
children AS (
    SELECT
        cdf_project,
        execution_id,
        parent_task_external_id AS node,
        date_sub('millisecond', min(start_time), max(end_time)) AS children_span_ms
    FROM {{ source('task_executions') }}
    WHERE parent_task_external_id IS NOT NULL
        AND start_time IS NOT NULL AND end_time IS NOT NULL
    GROUP BY ALL
),
nodes AS (
    SELECT
        f.cdf_project,
        f.execution_id,
        d.task_external_id AS node,
        coalesce(d.depends_on, []) AS depends_on,
        greatest(
            coalesce(o.total_duration_ms, 0), coalesce(c.children_span_ms, 0), 0
        ) AS weight
    FROM {{ ref('execution_facts') }} AS f
    JOIN {{ source('task_definitions') }} AS d
        ON d.cdf_project = f.cdf_project AND d.definition_hash = f.definition_hash
    LEFT JOIN {{ ref('task_outcomes') }} AS o
        ON o.cdf_project = f.cdf_project AND o.execution_id = f.execution_id
        AND o.task_external_id = d.task_external_id
    LEFT JOIN children AS c
        ON c.cdf_project = f.cdf_project AND c.execution_id = f.execution_id
        AND c.node = d.task_external_id
    -- Without any task row there is nothing to measure (reported as 'no_tasks' below).
    WHERE f.task_rows > 0
),
edges AS (
    -- Only dependencies on tasks that exist in the definition.
    SELECT n.cdf_project, n.execution_id, dep.src, n.node AS dst
    FROM nodes AS n, unnest(n.depends_on) AS dep(src)
    WHERE EXISTS (
        SELECT 1 FROM nodes AS m
        WHERE m.cdf_project = n.cdf_project AND m.execution_id = n.execution_id
            AND m.node = dep.src
    )
),
roots AS (
    SELECT n.*
    FROM nodes AS n
    WHERE NOT EXISTS (
        SELECT 1 FROM edges AS e
        WHERE e.cdf_project = n.cdf_project AND e.execution_id = n.execution_id
            AND e.dst = n.node
    )
),
paths(cdf_project, execution_id, node, total_ms, path) AS (
    SELECT cdf_project, execution_id, node, weight, [node]
    FROM roots
    UNION ALL
    SELECT
        p.cdf_project, p.execution_id, n.node, p.total_ms + n.weight, list_append(p.path, n.node)
    FROM paths AS p
    JOIN edges AS e
        ON e.cdf_project = p.cdf_project AND e.execution_id = p.execution_id AND e.src = p.node
    JOIN nodes AS n
        ON n.cdf_project = e.cdf_project AND n.execution_id = e.execution_id AND n.node = e.dst
    WHERE NOT list_contains(p.path, n.node)
    -- All chains in one iteration have the same length, so keeping the best per end task is
    -- exact longest-path dynamic programming rather than an enumeration of every chain.
    QUALIFY row_number() OVER (
        PARTITION BY p.cdf_project, p.execution_id, n.node
        ORDER BY p.total_ms + n.weight DESC, list_append(p.path, n.node)::VARCHAR
    ) = 1
),
best AS (
    SELECT cdf_project, execution_id, total_ms, path
    FROM paths
    QUALIFY row_number() OVER (
        PARTITION BY cdf_project, execution_id ORDER BY total_ms DESC, len(path), path::VARCHAR
    ) = 1
),
dominant AS (
    SELECT
        b.cdf_project,
        b.execution_id,
        -- The largest task; on a tie the one earliest in the chain.
        arg_max(n.node, (n.weight, -s.pos)) AS dominant_task_external_id,
        max(n.weight) AS dominant_task_ms
    FROM best AS b,
        unnest(b.path) WITH ORDINALITY AS s(node, pos)
    JOIN nodes AS n
        ON n.cdf_project = b.cdf_project AND n.execution_id = b.execution_id
        AND n.node = s.node
    GROUP BY b.cdf_project, b.execution_id
)
SELECT
    f.cdf_project,
    f.execution_id,
    f.workflow_external_id,
    f.workflow_version,
    f.day,
    f.status,
    f.duration_ms,
    f.task_rows,
    CASE
        WHEN b.execution_id IS NOT NULL THEN 'ok'
        WHEN f.task_rows = 0 THEN 'no_tasks'
        ELSE 'no_definition'
    END AS path_status,
    b.path AS critical_path,
    len(b.path) AS critical_path_tasks,
    b.total_ms AS critical_path_ms,
    d.dominant_task_external_id,
    d.dominant_task_ms,
    d.dominant_task_ms / nullif(b.total_ms, 0) AS dominant_share
FROM {{ ref('execution_facts') }} AS f
LEFT JOIN best AS b USING (cdf_project, execution_id)
LEFT JOIN dominant AS d USING (cdf_project, execution_id)
