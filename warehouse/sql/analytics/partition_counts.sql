-- description: An exported model's rows per day between two instants (what the Parquet flush
--   reads to group dirty days into queries).
-- columns: day, count
SELECT day, count(*)
FROM {{ model }}
WHERE day >= ($1 AT TIME ZONE 'UTC')::DATE AND day < ($2 AT TIME ZONE 'UTC')::DATE
GROUP BY day
