select cdf_project, execution_id, task_execution_id, status
from {{ source('warehouse', 'task_executions') }}
