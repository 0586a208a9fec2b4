-- check: definitions_key_unique
-- asset: task_definitions
-- description: (cdf_project, definition_hash, task_external_id) is unique in task_definitions.
-- returns: the duplicated keys.
SELECT cdf_project, definition_hash, task_external_id, count(*) AS copies
FROM task_definitions
GROUP BY cdf_project, definition_hash, task_external_id
HAVING count(*) > 1
