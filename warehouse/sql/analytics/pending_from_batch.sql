-- description: Record the executions a batch writes as pending for the analytics build, with
--   their identity as stored before the batch (a changed workflow or day moves the execution
--   between groups, and the old group must be recomputed too) and as the batch writes it.
--   Runs before the batch replaces the stored rows, in the same transaction.
-- depends: _execution_identity, _analytics_pending; registered frames batch_executions and
--   batch_task_executions
-- columns: inserts (cdf_project, execution_id, workflow_external_id, day)
INSERT INTO _analytics_pending
SELECT e.*
FROM _execution_identity AS e
WHERE (e.cdf_project, e.execution_id) IN (
    SELECT cdf_project, execution_id FROM batch_executions
    UNION
    SELECT cdf_project, execution_id FROM batch_task_executions
)
UNION ALL
SELECT b.cdf_project, b.execution_id, b.workflow_external_id, (b.created_time AT TIME ZONE 'UTC')::DATE
FROM batch_executions AS b
