-- pending
-- Description: events routed before whose send has not succeeded yet: they are retried
--   whatever their age. Returns the event key, the destination and the event's time.
-- Depends: alerts_sent.
SELECT cdf_project, event_key, destination, event_time
FROM alerts_sent
WHERE sent_at IS NULL;
