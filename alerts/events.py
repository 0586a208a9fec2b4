"""Alert events: read from the warehouse's views, matched against the routes of the alerts file.

Every query in ``warehouse/sql/alerts/events_*.sql`` returns the same columns; an event's key
is stable across runs (kind, project and the execution, trigger slot or day it is about), so the
``alerts_sent`` table can tell which events a destination already has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

import duckdb

from alerts.config import AlertsConfig, Route
from warehouse.alerts import EVENT_COLUMNS, alerts_sql, event_query_names


@dataclass(frozen=True)
class AlertEvent:
    event_key: str
    kind: str
    cdf_project: str
    workflow_external_id: str | None
    event_time: datetime
    execution_id: str | None
    trigger_external_id: str | None
    status: str | None
    target_ms: int | None  # the budget, usual p95 or anomaly threshold
    actual_ms: int | None  # how long it ran (or how many records were rejected or flagged)
    over_target_ms: int | None
    late_by_ms: int | None
    deadline_at: datetime | None
    detail: str | None
    flag_counts: dict[str, int] | None = None  # source flag -> flagged executions

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in EVENT_COLUMNS:
            value = getattr(self, name)
            out[name] = value.isoformat() if isinstance(value, datetime) else value
        return out


@dataclass(frozen=True)
class Routed:
    """An event for one destination, with the owners the matching routes name; ``digest`` when
    the destination or one of those routes asks for a digest."""

    event: AlertEvent
    destination: str
    owners: tuple[str, ...]
    digest: bool = False


def query_events(
    con: duckdb.DuckDBPyConnection, since: datetime, config: AlertsConfig
) -> list[AlertEvent]:
    """Every event at or after ``since`` (all queries, one list, oldest first), with the
    source-anomaly thresholds of ``config``."""
    settings: dict[str, Any] = {
        "min_rejected": config.anomaly_min_rejected,
        "anomaly_flags": list(config.anomaly_flags),
        "min_flagged": config.anomaly_min_flagged,
        "min_skew_ms": config.anomaly_min_skew_ms,
    }
    events: list[AlertEvent] = []
    for name in event_query_names():
        text = alerts_sql(name)
        params: dict[str, Any] = {"since": since}
        params.update((k, v) for k, v in settings.items() if f"${k}" in text)
        try:
            rows = con.execute(text, params).fetchall()
        except duckdb.Error as exc:
            raise RuntimeError(f"warehouse/sql/alerts/{name}.sql: {exc}") from exc
        events.extend(AlertEvent(*row) for row in rows)
    events.sort(key=lambda e: (e.event_time, e.event_key))
    return events


def _matches(patterns: tuple[str, ...], value: str | None) -> bool:
    # An event without a workflow (a rejected record with no workflowExternalId) only matches
    # routes for every workflow.
    if value is None:
        return "*" in patterns
    return any(fnmatchcase(value, p) for p in patterns)


def route_events(events: list[AlertEvent], config: AlertsConfig) -> list[Routed]:
    """One entry per (event, destination) that some route sends the event to."""
    out: list[Routed] = []
    for event in events:
        owners: dict[str, list[str]] = {}
        digest: dict[str, bool] = {}
        for route in config.routes:
            if _route_matches(route, event):
                for destination in route.destinations:
                    names = owners.setdefault(destination, [])
                    names.extend(o for o in route.owners if o not in names)
                    digest[destination] = (
                        digest.get(destination, False)
                        or route.digest
                        or config.destinations[destination].digest
                    )
        out.extend(Routed(event, d, tuple(o), digest[d]) for d, o in owners.items())
    return out


def _route_matches(route: Route, event: AlertEvent) -> bool:
    return (
        event.kind in route.kinds
        and _matches(route.cdf_projects, event.cdf_project)
        and _matches(route.workflows, event.workflow_external_id)
    )
