-- check: execution_clock_skew
-- asset: workflow_executions
-- severity: warn
-- why: CDF stamps createdTime, startTime and endTime in different services; live projects send
--   a startTime a few ms before createdTime. The row is stored as sent; execution_facts keeps the
--   slightly negative queue time and leaves a duration empty when the end is before the start.
-- description: an execution starts no earlier than it was created and ends no earlier than it
--   started.
-- summary: {count} executions with start before created or end before start (up to {max_ms} ms)
-- measure: skew_ms
-- returns: the skewed executions and by how much (skew_ms).
SELECT cdf_project, execution_id, workflow_external_id, created_time, start_time, end_time,
       greatest(
           coalesce(date_sub('millisecond', start_time, created_time), 0),
           coalesce(date_sub('millisecond', end_time, start_time), 0)
       ) AS skew_ms
FROM {{ executions }}
-- The flags start_before_created and end_before_start say the same, but this reads the times:
-- an execution's quality_flags also carry its task rows' flags (a task's end_before_start would
-- count here), and rows written before the column existed have NULL flags.
WHERE start_time < created_time
   OR end_time < start_time
