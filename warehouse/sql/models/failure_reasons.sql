-- failure_reasons
-- Description: reasonForIncompletion of failed executions and failed tasks, normalised so
--   that messages differing only in ids, UUIDs, timestamps, quoted values and numbers group
--   together. Placeholders: <uuid>, <time>, <value>, <id> (a word of hex digits mixing letters and digits), <n>. A failure
--   without a reason is grouped as '<no reason given>' rather than dropped.
-- Grain: one row per (cdf_project, source, normalized_reason); source is 'execution' or 'task'.
-- Columns: cdf_project, source, normalized_reason, occurrences, executions, workflows_affected,
--   first_seen, last_seen, example_reason, statuses.
WITH raw AS (
    SELECT
        e.cdf_project,
        'execution' AS source,
        e.execution_id,
        e.workflow_external_id,
        e.created_time,
        e.status,
        e.reason_for_incompletion AS reason
    FROM {{ source('workflow_executions') }} AS e
    WHERE e.status IN ('FAILED', 'TIMED_OUT', 'TERMINATED')
        OR e.reason_for_incompletion IS NOT NULL
    UNION ALL
    SELECT
        t.cdf_project,
        'task' AS source,
        t.execution_id,
        e.workflow_external_id,
        -- "Seen" is when the run happened; a task without times still has its execution's.
        coalesce(e.created_time, t.execution_created_time) AS created_time,
        t.status,
        t.reason_for_incompletion AS reason
    FROM {{ source('task_executions') }} AS t
    LEFT JOIN {{ source('workflow_executions') }} AS e USING (cdf_project, execution_id)
    WHERE t.status IN (
        'FAILED', 'FAILED_WITH_TERMINAL_ERROR', 'TIMED_OUT', 'COMPLETED_WITH_ERRORS')
        OR t.reason_for_incompletion IS NOT NULL
),
normalised AS (
    SELECT
        *,
        -- Order matters: UUIDs and timestamps contain digits and would otherwise be cut into
        -- <n> pieces; quoted values go before numbers so '42' becomes <value>, not '<n>'.
        trim(regexp_replace(
        regexp_replace(
        regexp_replace(
        regexp_replace(
        regexp_replace(
        regexp_replace(
            coalesce(reason, '<no reason given>'),
            '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}',
            '<uuid>', 'g'),
            '\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?',
            '<time>', 'g'),
            '''[^'']*''|"[^"]*"', '<value>', 'g'),
            '\b([0-9]+[a-fA-F]|[a-fA-F]+[0-9])[0-9a-fA-F]*\b', '<id>', 'g'),
            '\d+(\.\d+)?', '<n>', 'g'),
            '\s+', ' ', 'g')) AS normalized_reason
    FROM raw
)
SELECT
    cdf_project,
    source,
    normalized_reason,
    count(*) AS occurrences,
    count(DISTINCT execution_id) AS executions,
    count(DISTINCT workflow_external_id) AS workflows_affected,
    min(created_time) AS first_seen,
    max(created_time) AS last_seen,
    min(reason) AS example_reason,
    list_sort(list_distinct(list(status))) AS statuses
FROM normalised
GROUP BY cdf_project, source, normalized_reason
