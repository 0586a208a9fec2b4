select cdf_project, execution_id, workflow_external_id, status, created_time, ingested_at
from {{ source('warehouse', 'workflow_executions') }}
