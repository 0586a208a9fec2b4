-- description: The bounds (slice_bounds.sql) of one slice: what a restricted input reads.
-- columns: relation, first_row, last_row
CREATE OR REPLACE TEMP TABLE _analytics_slice_bounds AS
SELECT relation, first_row, last_row FROM _analytics_bounds WHERE slice = $slice
