"""Our own output broken by a write after the last good run, for the tests of the checks."""

from __future__ import annotations

DUPLICATE_TASK_ROW = (
    "INSERT INTO task_executions SELECT * FROM task_executions "
    "WHERE task_execution_id = (SELECT min(task_execution_id) FROM task_executions)"
)

# The ingest stamps every execution it writes (`ingested_at`), and a nightly run's checks look
# at what was stamped since the last good run's checks. A break stamped the same way (on the
# execution of the first task row) is what a wrong write by the pipeline would look like.
STAMP_FIRST_TASK_EXECUTION_NOW = (
    "UPDATE workflow_executions SET ingested_at = now() WHERE execution_id IN ("
    "SELECT execution_id FROM task_executions "
    "WHERE task_execution_id = (SELECT min(task_execution_id) FROM task_executions))"
)
