-- check: definitions_key_unique
-- asset: task_definitions
-- description: (definition_hash, task_external_id) is unique in task_definitions.
-- returns: the duplicated keys.
SELECT definition_hash, task_external_id, count(*) AS copies
FROM task_definitions
GROUP BY definition_hash, task_external_id
HAVING count(*) > 1
