-- description: The fingerprint each incremental model's table was built from.
-- columns: name, fingerprint
SELECT name, fingerprint FROM _analytics_models
