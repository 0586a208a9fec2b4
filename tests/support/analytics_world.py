"""A small hand-written warehouse for the analytics tests.

Two UTC days, D1 = 2024-05-01 and D2 = 2024-05-02, and "now" = D2 12:00. Every expected value in
the tests is worked out by hand from the rows below; the comments give the numbers that matter.

Workflow ``etl`` (v1 uses definition H1: extract -> {transform, fanout} -> load; v2 uses H2:
extract alone):
  E1 v1 COMPLETED  D1 01:00:00, start 01:00:10, end 01:10:10 (600 000 ms, queue 10 s)
      extract 120 s, transform 180 s, fanout 10 s with children fanout-1 240 s and fanout-2
      280 s (children span 02:20 -> 07:10 = 290 s), load 180 s
  E2 v1 FAILED     D1 02:00, 02:00 -> 02:20 (1 200 000 ms); transform fails once then succeeds
      (two rows, the retry form "several rows"), load fails
  E3 v1 COMPLETED  D1 03:00, start 03:00:30, end 03:20:30 (1 200 000 ms: a tie with E2)
  E4 v2 TIMED_OUT  D2 00:30 -> 01:30 (3 600 000 ms)
  E5 v2 FAILED     D2 02:00 -> 02:00:05 (5 000 ms), no reason given
  E6 v2 COMPLETED  D2 05:00 -> 05:10 (600 000 ms)
  E7 v2 RUNNING    D2 11:55, started, no tasks
Workflow ``report`` (definition H4: render -> notify -> archive):
  R1 COMPLETED     D1 10:00, start 10:00, end 09:59 (ends before it starts), no tasks
  R2 PAUSED        D1 11:00, started, never ended (an unknown status)
  R3 RUNNING       D2 06:00, still queued (no start)
  R4 FAILED        D2 07:00 -> 07:01 (60 000 ms), no tasks
  R5 RUNNING       D2 07:00:30, started; render IN_PROGRESS, notify SKIPPED, archive in an
      unknown task status
Workflow ``tiny``: T1 COMPLETED D1 02:20 -> 03:00:30 (2 430 000 ms), one task, and a definition
  hash with no definition rows.
Workflow ``bulk``: B1 COMPLETED D1 20:00 -> 20:05 with 200 tasks (CDF's cap).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse.analytics.build import build_models

D1 = "2024-05-01"
D2 = "2024-05-02"
NOW = datetime(2024, 5, 2, 12, 0, tzinfo=UTC)
PROJECT = "analytics-world"

E2_REASON = "Task load failed: job 9f1c2d3e-1111-4a2b-8c3d-123456789abc returned 500"
E4_REASON = "Execution timed out after 3600 s at 2024-05-02T01:30:00Z in 'extract'"
R4_REASON = "Execution timed out after 30 s at 2024-05-02T07:01:00Z in 'render'"


def t(day: str, clock: str) -> datetime:
    """A UTC instant from a day and HH:MM[:SS]."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=UTC)


def _insert(con: duckdb.DuckDBPyConnection, table: str, row: dict[str, Any]) -> None:
    # Every data row belongs to a CDF project; this world is one project.
    row = {"cdf_project": PROJECT, **row}
    columns = ", ".join(f'"{c}"' for c in row)
    marks = ", ".join("?" for _ in row)
    con.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', list(row.values()))


def execution(
    con: duckdb.DuckDBPyConnection,
    execution_id: str,
    workflow: str,
    version: str,
    status: str,
    created: datetime,
    start: datetime | None,
    end: datetime | None,
    *,
    definition_hash: str | None = None,
    reason: str | None = None,
    project: str = PROJECT,
) -> None:
    _insert(
        con,
        "workflow_executions",
        {
            "cdf_project": project,
            "execution_id": execution_id,
            "workflow_external_id": workflow,
            "workflow_version": version,
            "status": status,
            "created_time": created,
            "start_time": start,
            "end_time": end,
            "definition_hash": definition_hash,
            "reason_for_incompletion": reason,
        },
    )


_task_counter = [0]


def task(
    con: duckdb.DuckDBPyConnection,
    execution_id: str,
    external_id: str,
    status: str,
    start: datetime | None,
    end: datetime | None,
    *,
    parent: str | None = None,
    attempt: int | None = None,
    reason: str | None = None,
    project: str = PROJECT,
    task_key: str | None = None,
) -> None:
    _task_counter[0] += 1
    _insert(
        con,
        "task_executions",
        {
            "cdf_project": project,
            "task_execution_id": f"{execution_id}-task-{_task_counter[0]:04d}",
            "execution_id": execution_id,
            "task_external_id": external_id,
            "status": status,
            "parent_task_external_id": parent,
            "is_child": parent is not None,
            "attempt": attempt,
            "start_time": start,
            "end_time": end,
            "reason_for_incompletion": reason,
            "task_key": task_key,
        },
    )


def definition(
    con: duckdb.DuckDBPyConnection, definition_hash: str, external_id: str, depends_on: list[str]
) -> None:
    _insert(
        con,
        "task_definitions",
        {
            "definition_hash": definition_hash,
            "task_external_id": external_id,
            "depends_on": depends_on,
        },
    )


def build_world(con: duckdb.DuckDBPyConnection) -> None:
    """Insert the world described in the module docstring."""
    for name, deps in [
        ("extract", []),
        ("transform", ["extract"]),
        ("fanout", ["extract"]),
        ("load", ["transform", "fanout"]),
    ]:
        definition(con, "H1", name, deps)
    definition(con, "H2", "extract", [])
    for name, deps in [("render", []), ("notify", ["render"]), ("archive", ["notify"])]:
        definition(con, "H4", name, deps)

    # --- etl v1, day 1 -------------------------------------------------------------------
    execution(con, "E1", "etl", "1", "COMPLETED", t(D1, "01:00:00"), t(D1, "01:00:10"),
              t(D1, "01:10:10"), definition_hash="H1")  # fmt: skip
    task(con, "E1", "extract", "COMPLETED", t(D1, "01:00:10"), t(D1, "01:02:10"))
    task(con, "E1", "transform", "COMPLETED", t(D1, "01:02:10"), t(D1, "01:05:10"))
    task(con, "E1", "fanout", "COMPLETED", t(D1, "01:02:10"), t(D1, "01:02:20"))
    task(con, "E1", "fanout-1", "COMPLETED", t(D1, "01:02:20"), t(D1, "01:06:20"),
         parent="fanout")  # fmt: skip
    task(con, "E1", "fanout-2", "COMPLETED_WITH_ERRORS", t(D1, "01:02:30"), t(D1, "01:07:10"),
         parent="fanout", reason="Function call 12345 failed (callId abc123def)")  # fmt: skip
    task(con, "E1", "load", "COMPLETED", t(D1, "01:07:10"), t(D1, "01:10:10"))

    execution(con, "E2", "etl", "1", "FAILED", t(D1, "02:00:00"), t(D1, "02:00:00"),
              t(D1, "02:20:00"), definition_hash="H1",
              reason=E2_REASON)  # fmt: skip
    task(con, "E2", "extract", "COMPLETED", t(D1, "02:00:00"), t(D1, "02:02:00"))
    # The retry inserted first so that only `attempt` and the start time give the order.
    task(con, "E2", "transform", "COMPLETED", t(D1, "02:03:00"), t(D1, "02:06:00"), attempt=2)
    task(con, "E2", "transform", "FAILED", t(D1, "02:02:00"), t(D1, "02:03:00"), attempt=1,
         reason="Timeout after 60 s")  # fmt: skip
    task(con, "E2", "fanout", "COMPLETED", t(D1, "02:02:00"), t(D1, "02:02:10"))
    task(con, "E2", "load", "FAILED", t(D1, "02:06:00"), t(D1, "02:20:00"))

    execution(con, "E3", "etl", "1", "COMPLETED", t(D1, "03:00:00"), t(D1, "03:00:30"),
              t(D1, "03:20:30"), definition_hash="H1")  # fmt: skip
    task(con, "E3", "extract", "COMPLETED", t(D1, "03:00:30"), t(D1, "03:02:10"))
    task(con, "E3", "transform", "COMPLETED", t(D1, "03:02:10"), t(D1, "03:05:30"))
    task(con, "E3", "fanout", "COMPLETED", t(D1, "03:02:10"), t(D1, "03:07:10"))
    task(con, "E3", "load", "COMPLETED", t(D1, "03:07:10"), t(D1, "03:08:00"))

    # --- etl v2, day 2 -------------------------------------------------------------------
    execution(con, "E4", "etl", "2", "TIMED_OUT", t(D2, "00:30:00"), t(D2, "00:30:00"),
              t(D2, "01:30:00"), definition_hash="H2",
              reason=E4_REASON)  # fmt: skip
    task(con, "E4", "extract", "TIMED_OUT", t(D2, "00:30:00"), t(D2, "01:30:00"),
         reason="Task timed out after 3600 s")  # fmt: skip
    execution(con, "E5", "etl", "2", "FAILED", t(D2, "02:00:00"), t(D2, "02:00:00"),
              t(D2, "02:00:05"), definition_hash="H2")  # fmt: skip
    task(con, "E5", "extract", "FAILED", t(D2, "02:00:00"), t(D2, "02:00:05"),
         reason="Task timed out after 60 s")  # fmt: skip
    execution(con, "E6", "etl", "2", "COMPLETED", t(D2, "05:00:00"), t(D2, "05:00:00"),
              t(D2, "05:10:00"), definition_hash="H2")  # fmt: skip
    task(con, "E6", "extract", "COMPLETED", t(D2, "05:00:00"), t(D2, "05:10:00"))
    execution(con, "E7", "etl", "2", "RUNNING", t(D2, "11:55:00"), t(D2, "11:55:00"), None,
              definition_hash="H2")  # fmt: skip

    # --- report ----------------------------------------------------------------------------
    execution(con, "R1", "report", "1", "COMPLETED", t(D1, "10:00:00"), t(D1, "10:00:00"),
              t(D1, "09:59:00"), definition_hash="H3")  # fmt: skip
    execution(con, "R2", "report", "1", "PAUSED", t(D1, "11:00:00"), t(D1, "11:00:00"), None,
              definition_hash="H4")  # fmt: skip
    execution(con, "R3", "report", "1", "RUNNING", t(D2, "06:00:00"), None, None,
              definition_hash="H4")  # fmt: skip
    execution(con, "R4", "report", "1", "FAILED", t(D2, "07:00:00"), t(D2, "07:00:00"),
              t(D2, "07:01:00"), definition_hash="H4",
              reason=R4_REASON)  # fmt: skip
    execution(con, "R5", "report", "1", "RUNNING", t(D2, "07:00:30"), t(D2, "07:00:30"), None,
              definition_hash="H4")  # fmt: skip
    task(con, "R5", "render", "IN_PROGRESS", t(D2, "07:00:30"), None)
    task(con, "R5", "notify", "SKIPPED", None, None)
    task(con, "R5", "archive", "SOMETHING_NEW", None, None)

    # --- tiny and bulk ---------------------------------------------------------------------
    execution(con, "T1", "tiny", "1", "COMPLETED", t(D1, "02:20:00"), t(D1, "02:20:00"),
              t(D1, "03:00:30"), definition_hash="H-missing")  # fmt: skip
    task(con, "T1", "solo", "COMPLETED", t(D1, "02:20:00"), t(D1, "03:00:30"))
    execution(con, "B1", "bulk", "1", "COMPLETED", t(D1, "20:00:00"), t(D1, "20:00:00"),
              t(D1, "20:05:00"))  # fmt: skip
    for i in range(200):
        task(con, "B1", f"t{i:03d}", "COMPLETED", None, None)


SLA_CSV = """workflow_external_id,max_duration_minutes,deadline_utc,note
*,30,,everything within half an hour
etl,,01:15,max duration inherited from *
report,0.5,,
"""


@contextmanager
def rolled_back(database: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection inside a transaction that is never committed: the next example starts from
    the same empty warehouse."""
    connection = duckdb.connect(str(database))
    try:
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute("BEGIN TRANSACTION")
        yield connection
    finally:
        connection.close()  # closing without a commit rolls the transaction back


def built(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The analytics tables rebuilt from the rows written so far in the caller's transaction
    (the rows are inserted directly, not through the ingest's pending list)."""
    build_models(con, full_refresh=True, transaction=False)
    return con


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> list:
    return con.execute(sql, params or []).fetchall()
