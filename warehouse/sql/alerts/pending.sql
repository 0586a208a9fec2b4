-- pending
-- Description: events routed before whose send has not succeeded yet and was first tried at or
--   after $retry_since: they are retried whatever their age. Returns the project, event key,
--   destination and the event's time.
-- Depends: alerts_sent.
SELECT cdf_project, event_key, destination, event_time
FROM alerts_sent
WHERE sent_at IS NULL AND first_attempt_at >= $retry_since;
