-- description: Remember what a model's table or view was built from and when.
-- depends: _analytics_models
INSERT INTO _analytics_models (name, fingerprint, built_at, full_built_at, row_count)
VALUES ($name, $fingerprint, now(), now(), $row_count)
ON CONFLICT (name) DO UPDATE SET
    fingerprint = excluded.fingerprint,
    built_at = excluded.built_at,
    full_built_at = CASE WHEN $full THEN excluded.full_built_at ELSE _analytics_models.full_built_at END,
    row_count = excluded.row_count
