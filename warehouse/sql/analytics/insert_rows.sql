-- description: Insert the recomputed rows of an incremental model (columns matched by name).
INSERT INTO {{ model }} BY NAME
{{ select }}
