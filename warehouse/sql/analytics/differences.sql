-- description: How an incremental model's table differs from its definition over everything:
--   rows only in the table, and rows only in the definition, duplicates counted (EXCEPT ALL
--   both ways). Both 0 when they are equal.
-- columns: extra, missing
SELECT
    (SELECT count(*) FROM (FROM {{ model }} EXCEPT ALL ({{ select }}))) AS extra,
    (SELECT count(*) FROM (({{ select }}) EXCEPT ALL FROM {{ model }})) AS missing
