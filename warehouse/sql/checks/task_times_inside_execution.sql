-- check: task_times_inside_execution
-- asset: task_executions
-- severity: warn
-- why: CDF's services do not share one clock, and live projects send tasks that end after their
--   execution ended or start before it was created; the rows are stored as sent and the views
--   say how they treat them (docs/analytics.md). Failing the run would fail every night after.
-- description: a task starts no earlier than its execution was created and ends no later than
--   its execution ended.
-- summary: {count} task rows outside their execution's time window (up to {max_ms} ms)
-- measure: outside_ms
-- returns: task rows outside their execution's window, and by how much (outside_ms).
SELECT t.cdf_project, t.task_execution_id, t.execution_id, t.task_external_id,
       t.start_time, t.end_time, e.created_time, e.end_time AS execution_end_time,
       greatest(
           coalesce(date_sub('millisecond', t.start_time, e.created_time), 0),
           coalesce(date_sub('millisecond', e.end_time, t.end_time), 0)
       ) AS outside_ms
FROM {{ tasks }} AS t
JOIN {{ executions }} AS e USING (cdf_project, execution_id)
-- Not read from quality_flags: rows written before the column existed have NULL flags, and the
-- window starts at the execution's created_time here (as this check always did) while the flag
-- task_before_execution_start compares with its start_time.
WHERE t.start_time < e.created_time
   OR t.end_time > e.end_time
