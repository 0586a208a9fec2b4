"""The warehouse side of alerts: the table of sent events and the event queries.

``alerts_sent`` remembers, per event and destination, whether the event was delivered, so a
rerun, a backfill or a restart never sends an event twice and a failed send is tried again on
the next run. It is declared like every other table (:class:`warehouse.schema.Table`, from which
its DDL comes) and created on first use, the way ``sla_targets`` is. The event queries are the
files in ``sql/alerts/``; each returns the same columns (see ``EVENT_COLUMNS``).
"""

from __future__ import annotations

import duckdb
import polars as pl

from warehouse.columns import add_missing_columns
from warehouse.schema import UTC_TIME, Column, Table
from warehouse.sqlfiles import sql_file, sql_names

_TS = "TIMESTAMPTZ"

ALERTS_SENT = Table(
    name="alerts_sent",
    description=(
        "One row per alert event and destination it was routed to: written when the send is "
        "tried, `sent_at` set once it was delivered. Events with a row whose `sent_at` is set "
        "are never sent again; rows without it are retried on the next run."
    ),
    key=("event_key", "destination"),
    internal=True,
    columns=(
        Column("event_key", "VARCHAR", pl.String, "Stable id of the event.", nullable=False),
        Column("destination", "VARCHAR", pl.String, "Destination name.", nullable=False),
        Column("kind", "VARCHAR", pl.String, "Event kind (`duration`, `missed_run`, ...)."),
        Column("workflow_external_id", "VARCHAR", pl.String, "Workflow of the event."),
        Column("event_time", _TS, UTC_TIME, "When the event happened."),
        Column("first_attempt_at", _TS, UTC_TIME, "First send attempt."),
        Column("last_attempt_at", _TS, UTC_TIME, "Latest send attempt."),
        Column("sent_at", _TS, UTC_TIME, "When it was delivered; NULL while not yet."),
        Column("attempts", "INTEGER", pl.Int32, "Send attempts so far."),
        Column("last_error", "VARCHAR", pl.String, "Why the latest attempt failed (no secrets)."),
    ),
)

# The columns every query in sql/alerts/ returns, in this order.
EVENT_COLUMNS = (
    "event_key",
    "kind",
    "cdf_project",
    "workflow_external_id",
    "event_time",
    "execution_id",
    "trigger_external_id",
    "status",
    "target_ms",
    "actual_ms",
    "over_target_ms",
    "late_by_ms",
    "deadline_at",
    "detail",
    "flag_counts",
)


def alerts_sql(name: str) -> str:
    """The text of ``sql/alerts/<name>.sql``."""
    return sql_file("alerts", name)


def event_query_names() -> list[str]:
    """The event queries (``sql/alerts/events_*.sql``), in file-name order."""
    return [n for n in sql_names("alerts") if n.startswith("events_")]


def ensure_alerts_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``alerts_sent`` when missing and add any column a newer version declares."""
    con.execute(ALERTS_SENT.create_sql())
    add_missing_columns(con, ALERTS_SENT)
