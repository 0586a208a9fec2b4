-- Only executions written since the last build are recomputed; their old rows are replaced.
{{ config(unique_key=['cdf_project', 'execution_id'], incremental_strategy='delete+insert') }}
select
    e.cdf_project,
    e.execution_id,
    e.ingested_at,
    count(t.task_execution_id) as task_rows,
    count(t.task_execution_id) filter (where t.status = 'FAILED') as failed_tasks
from {{ ref('stg_workflow_executions') }} as e
left join {{ ref('stg_task_executions') }} as t using (cdf_project, execution_id)
{% if is_incremental() %}
where e.ingested_at > (select coalesce(max(ingested_at), '-infinity'::timestamptz) from {{ this }})
{% endif %}
group by all
