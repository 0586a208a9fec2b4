-- description: Row count of one table ({table}: its name from warehouse/schema.py).
-- depends: the table
-- columns: count
SELECT count(*) FROM {table}
