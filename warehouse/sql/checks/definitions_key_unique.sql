-- check: definitions_key_unique
-- asset: task_definitions
-- severity: error
-- why: the store writes one row per key; a second copy double-counts definitions in every view.
-- description: (cdf_project, definition_hash, task_external_id) is unique in task_definitions.
-- summary: {count} duplicated task definition keys
-- returns: the duplicated keys.
SELECT cdf_project, definition_hash, task_external_id, count(*) AS copies
FROM task_definitions
GROUP BY cdf_project, definition_hash, task_external_id
HAVING count(*) > 1
