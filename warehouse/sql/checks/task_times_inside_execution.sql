-- check: task_times_inside_execution
-- asset: task_executions
-- description: a task starts no earlier than its execution was created and ends no later than
--   its execution ended, within a tolerance of $tolerance_ms milliseconds (clocks of the
--   orchestrator's parts are not perfectly in step).
-- returns: task rows outside their execution's window.
SELECT t.cdf_project, t.task_execution_id, t.execution_id, t.task_external_id,
       t.start_time, t.end_time, e.created_time, e.end_time AS execution_end_time
FROM task_executions AS t
JOIN workflow_executions AS e USING (cdf_project, execution_id)
WHERE (t.start_time IS NOT NULL
       AND t.start_time < e.created_time - to_milliseconds($tolerance_ms))
   OR (t.end_time IS NOT NULL AND e.end_time IS NOT NULL
       AND t.end_time > e.end_time + to_milliseconds($tolerance_ms))
