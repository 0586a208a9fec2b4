-- description: The rows of a relation.
SELECT count(*) FROM {{ relation }}
