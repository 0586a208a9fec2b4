-- description: Give task rows written before `task_key` existed their key, by the rule of
--   warehouse/task_keys.py (its patterns bound as $uuid, $hex, $counter): a task named in its
--   execution's workflow definition keeps its externalId, any other loses a generated suffix.
--   Flags and inferred parents are not guessed for such rows: they stay NULL until the
--   execution is written again.
-- depends: task_executions, workflow_executions, task_definitions
-- columns: none
UPDATE task_executions AS t
SET task_key = CASE
    WHEN EXISTS (
        SELECT 1
        FROM workflow_executions AS e
        JOIN task_definitions AS d
            ON d.cdf_project = e.cdf_project AND d.definition_hash = e.definition_hash
        WHERE e.cdf_project = t.cdf_project AND e.execution_id = t.execution_id
            AND d.task_external_id = t.task_external_id
    ) THEN t.task_external_id
    ELSE (
        WITH k AS (SELECT regexp_replace(t.task_external_id, $uuid, '') AS no_uuid),
        h AS (
            SELECT CASE
                WHEN no_uuid = t.task_external_id
                    AND regexp_matches(regexp_extract(no_uuid, '(' || $hex || ')', 1), '[0-9]')
                THEN regexp_replace(no_uuid, $hex, '') ELSE no_uuid END AS no_id
            FROM k
        ),
        c AS (SELECT regexp_replace(no_id, $counter, '') AS stripped FROM h)
        SELECT CASE WHEN stripped = '' THEN t.task_external_id ELSE stripped END FROM c
    )
END
WHERE t.task_key IS NULL
