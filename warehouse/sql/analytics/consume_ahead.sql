-- description: The pending identities the models kept per execution have just consumed
--   (build_ahead) move to `_analytics_pending_ahead`, where the other models still read them.
-- depends: _analytics_pending, _analytics_pending_ahead
INSERT INTO _analytics_pending_ahead (cdf_project, execution_id, workflow_external_id, day)
SELECT cdf_project, execution_id, workflow_external_id, day FROM _analytics_pending;
DELETE FROM _analytics_pending;
