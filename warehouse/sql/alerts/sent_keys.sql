-- sent_keys
-- Description: (cdf_project, event_key, destination) of every event already delivered.
-- Depends: alerts_sent.
SELECT cdf_project, event_key, destination
FROM alerts_sent
WHERE sent_at IS NOT NULL;
