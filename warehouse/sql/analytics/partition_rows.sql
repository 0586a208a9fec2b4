-- description: An exported model's rows between two instants, with the day that names their
--   Parquet partition, sorted by it.
-- columns: the model's columns, __day
SELECT *, day AS __day
FROM {{ model }}
WHERE day >= ($1 AT TIME ZONE 'UTC')::DATE AND day < ($2 AT TIME ZONE 'UTC')::DATE
ORDER BY __day, cdf_project, execution_id
