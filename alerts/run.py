"""One alerts run: find new events, send each to its destinations once, remember the sends.

An event is *new* for a destination when ``alerts_sent`` has no delivered row for it. Events
older than the lookback (``lookback_hours`` before now) are history and are not sent, so the
first run on a full warehouse, or a backfill of old days, does not page anyone about the past;
``include_history = true`` sends them. An event whose send failed keeps its row without
``sent_at`` and is sent again on the next runs, whatever its age, for ``retry_days``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import httpx

from alerts.config import AlertsConfig, Destination
from alerts.events import Routed, query_events, route_events
from alerts.render import slack_body, webhook_body
from alerts.senders import Sender, SendResult
from warehouse.alerts import alerts_sql, ensure_alerts_table

log = logging.getLogger("alerts")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class AlertsReport:
    events_found: int = 0  # events in the lookback (or of a pending retry), before routing
    already_sent: int = 0  # routed events the destination already has
    messages_sent: int = 0
    messages_failed: int = 0
    events_sent: int = 0
    events_failed: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)  # events sent, per kind
    errors: dict[str, str] = field(default_factory=dict)  # destination -> last error (no secret)

    def as_metadata(self) -> dict[str, Any]:
        return {
            "events_found": self.events_found,
            "events_sent": self.events_sent,
            "events_failed": self.events_failed,
            "events_already_sent": self.already_sent,
            "messages_sent": self.messages_sent,
            "messages_failed": self.messages_failed,
            "events_sent_by_kind": dict(self.by_kind),
            "failed_destinations": dict(self.errors),
        }


def _keys(rows: list[tuple[Any, ...]]) -> set[tuple[str, str, str]]:
    return {(r[0], r[1], r[2]) for r in rows}


def run_alerts(
    con: duckdb.DuckDBPyConnection,
    config: AlertsConfig,
    *,
    now: datetime | None = None,
    env: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> AlertsReport:
    """Send the new events of a warehouse whose views exist (the nightly job's views step).

    ``now``: the reference time (default: the clock); the views' "now" follows it.
    ``env``: where destination variables are read (default: the process environment).
    """
    ensure_alerts_table(con)
    if not config.enabled:
        return AlertsReport()
    if now is None:
        return _send_new_events(con, config, datetime.now(UTC), env, transport)
    con.execute("SET VARIABLE analytics_now = ?::TIMESTAMPTZ", [now])
    try:
        return _send_new_events(con, config, now, env, transport)
    finally:
        # The connection goes on to other work with the views' own clock.
        con.execute("RESET VARIABLE analytics_now")


def _send_new_events(
    con: duckdb.DuckDBPyConnection,
    config: AlertsConfig,
    now: datetime,
    env: Mapping[str, str] | None,
    transport: httpx.BaseTransport | None,
) -> AlertsReport:
    report = AlertsReport()
    since = _EPOCH if config.include_history else now - timedelta(hours=config.lookback_hours)
    retry_since = now - timedelta(days=config.retry_days)
    pending_rows = con.execute(alerts_sql("pending"), {"retry_since": retry_since}).fetchall()
    pending = _keys(pending_rows)
    oldest_pending = min((r[3] for r in pending_rows if r[3] is not None), default=since)
    events = query_events(con, min(since, oldest_pending), config)
    report.events_found = len(events)
    sent = _keys(con.execute(alerts_sql("sent_keys")).fetchall())

    todo: dict[str, list[Routed]] = {}
    for item in route_events(events, config):
        key = (item.event.cdf_project, item.event.event_key, item.destination)
        if key in sent:
            report.already_sent += 1
        elif item.event.event_time < since and key not in pending:
            continue  # history (older than the lookback), read only to retry pending sends
        else:
            todo.setdefault(item.destination, []).append(item)

    with Sender(env, transport) as sender:
        for name, items in todo.items():
            destination = config.destinations[name]
            digest = [i for i in items if i.digest]
            batches = [[i] for i in items if not i.digest] + ([digest] if digest else [])
            for batch in batches:
                if name in report.errors:
                    # The destination failed earlier in this run: the rest waits for the next
                    # run instead of hammering a receiver that is down.
                    result = SendResult(False, report.errors[name])
                else:
                    result = sender.post(destination, _body(batch, destination, config, now))
                _record(con, batch, result.ok, result.error, now)
                if result.ok:
                    report.messages_sent += 1
                    report.events_sent += len(batch)
                    for item in batch:
                        kind = item.event.kind
                        report.by_kind[kind] = report.by_kind.get(kind, 0) + 1
                else:
                    report.messages_failed += 1
                    report.events_failed += len(batch)
                    report.errors[name] = result.error or "failed"
            if name in report.errors:
                log.warning("alerts to %s not delivered: %s", name, report.errors[name])
    return report


def _body(
    batch: list[Routed], destination: Destination, config: AlertsConfig, now: datetime
) -> dict[str, Any]:
    template = config.ui_execution_url
    digest = batch[0].digest
    if destination.type == "slack":
        return slack_body(batch, digest, template, now)
    return webhook_body(batch, destination.name, digest, template, now)


def _record(
    con: duckdb.DuckDBPyConnection,
    batch: list[Routed],
    ok: bool,
    error: str | None,
    now: datetime,
) -> None:
    sql = alerts_sql("record_attempt")
    con.execute("BEGIN TRANSACTION")
    try:
        for item in batch:
            event = item.event
            con.execute(
                sql,
                {
                    "cdf_project": event.cdf_project,
                    "event_key": event.event_key,
                    "destination": item.destination,
                    "kind": event.kind,
                    "workflow": event.workflow_external_id,
                    "event_time": event.event_time,
                    "attempt_at": now,
                    "sent_at": now if ok else None,
                    "error": None if ok else error,
                },
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
