-- description: The distinct values of an incremental model's unique_key among the executions
--   pending since the last build (their identity before and after): the model's rows with these
--   keys are the ones to replace.
-- depends: `pending` (the model's pending identities: _analytics_pending, or
--   _analytics_pending_all)
-- columns: the model's unique_key columns
CREATE OR REPLACE TEMP TABLE _analytics_touched AS
SELECT DISTINCT {{ key | join(', ') }}
FROM {{ pending }}
