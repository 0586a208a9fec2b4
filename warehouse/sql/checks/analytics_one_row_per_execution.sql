-- check: analytics_one_row_per_execution
-- asset: critical_paths
-- severity: error
-- why: the analytics build keeps execution_facts and critical_paths as tables with one row per
--   stored execution, recomputing only the executions written since the last build; a missing
--   or doubled row means a build went wrong, and every view on them would miss or double a run.
--   `workflow-analytics ingest --full-refresh` rebuilds them.
-- description: execution_facts and critical_paths hold exactly one row per stored execution.
-- summary: {count} executions without exactly one row in an analytics table
-- returns: (model, cdf_project, execution_id, rows) for each execution with another count.
WITH expected AS (
    SELECT cdf_project, execution_id FROM {{ executions }}
),
counted AS (
    SELECT 'execution_facts' AS model, cdf_project, execution_id, count(*) AS rows
    FROM execution_facts
    {% if scoped %}SEMI JOIN expected USING (cdf_project, execution_id){% endif %}
    GROUP BY ALL
    UNION ALL
    SELECT 'critical_paths' AS model, cdf_project, execution_id, count(*) AS rows
    FROM critical_paths
    {% if scoped %}SEMI JOIN expected USING (cdf_project, execution_id){% endif %}
    GROUP BY ALL
),
models AS (
    SELECT * FROM (VALUES ('execution_facts'), ('critical_paths')) AS m (model)
)
SELECT m.model, e.cdf_project, e.execution_id, coalesce(c.rows, 0) AS rows
FROM expected AS e
CROSS JOIN models AS m
LEFT JOIN counted AS c USING (model, cdf_project, execution_id)
WHERE coalesce(c.rows, 0) <> 1
UNION ALL
SELECT c.model, c.cdf_project, c.execution_id, c.rows
FROM counted AS c
ANTI JOIN expected AS e USING (cdf_project, execution_id)
