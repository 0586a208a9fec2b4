-- description: A model's rows for the executions in scope, as they are now.
CREATE OR REPLACE TEMP TABLE _analytics_new_rows AS
{{ select }}
