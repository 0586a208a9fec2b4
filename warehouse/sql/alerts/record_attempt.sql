-- record_attempt
-- Description: records one send attempt of an event to a destination: a new row, or the
--   existing row's attempt count, time, outcome and error updated. A delivered row keeps its
--   first sent_at.
-- Depends: alerts_sent.
INSERT INTO alerts_sent AS a (
    cdf_project, event_key, destination, kind, workflow_external_id, event_time,
    first_attempt_at, last_attempt_at, sent_at, attempts, last_error
)
VALUES ($cdf_project, $event_key, $destination, $kind, $workflow, $event_time,
    $attempt_at, $attempt_at, $sent_at, 1, $error)
ON CONFLICT (cdf_project, event_key, destination) DO UPDATE SET
    last_attempt_at = excluded.last_attempt_at,
    sent_at = coalesce(a.sent_at, excluded.sent_at),
    attempts = a.attempts + 1,
    last_error = excluded.last_error;
