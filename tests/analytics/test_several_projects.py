"""Two CDF projects with the same workflow externalId and the same execution ids stay apart.

Project ``prod`` (definition H1: a -> b):
  E1 etl v1 COMPLETED D1 01:00 -> 01:10 (600 000 ms): a 01:00-01:04 (240 s), b 01:04-01:10
     (360 s); its trigger ``daily`` fired at 01:00 and started it.
  E2 etl v1 FAILED    D1 02:00 -> 02:01 (60 000 ms), reason "boom 1": a FAILED "task boom 7".
Project ``dev`` (its own H1 has task a only):
  E1 etl v1 FAILED    D1 01:00 -> 01:45 (2 700 000 ms), reason "boom 2": a FAILED
     "task boom 9"; its trigger ``daily`` expected a fire at 01:00 and recorded none.
SLA target: ``*`` 30 min (1 800 000 ms) for every workflow of every project.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from tests.support.analytics_world import D1, rows, t
from warehouse.analytics.build import build_models
from warehouse.analytics.models import load_models
from warehouse.sla_targets import install_sla
from warehouse.store import Warehouse

DAY1 = date(2024, 5, 1)


def _insert(con: duckdb.DuckDBPyConnection, table: str, project: str, **row: Any) -> None:
    row = {"cdf_project": project, **row}
    columns = ", ".join(f'"{c}"' for c in row)
    marks = ", ".join("?" for _ in row)
    con.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', list(row.values()))


def _execution(con, project, execution_id, status, created, end, reason=None) -> None:
    _insert(con, "workflow_executions", project, execution_id=execution_id,
            workflow_external_id="etl", workflow_version="1", status=status,
            created_time=created, start_time=created, end_time=end,
            reason_for_incompletion=reason, definition_hash="H1")  # fmt: skip


def _task(con, project, task_id, execution_id, name, status, start, end, reason=None) -> None:
    _insert(con, "task_executions", project, task_execution_id=task_id,
            execution_id=execution_id, task_external_id=name, status=status,
            start_time=start, end_time=end, reason_for_incompletion=reason)  # fmt: skip


def _trigger(con, project: str) -> None:
    _insert(con, "workflow_triggers", project, trigger_external_id="daily",
            workflow_external_id="etl", trigger_type="schedule", cron_expression="0 1 * * *",
            timezone="UTC", is_paused=False)  # fmt: skip
    _insert(con, "trigger_expected_fires", project, trigger_external_id="daily",
            scheduled_time=t(D1, "01:00:00"), cron_expression="0 1 * * *",
            timezone="UTC")  # fmt: skip


def _build(con: duckdb.DuckDBPyConnection) -> None:
    _insert(con, "task_definitions", "prod", definition_hash="H1", task_external_id="a",
            depends_on=[])  # fmt: skip
    _insert(con, "task_definitions", "prod", definition_hash="H1", task_external_id="b",
            depends_on=["a"])  # fmt: skip
    _execution(con, "prod", "E1", "COMPLETED", t(D1, "01:00:00"), t(D1, "01:10:00"))
    _task(con, "prod", "T1", "E1", "a", "COMPLETED", t(D1, "01:00:00"), t(D1, "01:04:00"))
    _task(con, "prod", "T2", "E1", "b", "COMPLETED", t(D1, "01:04:00"), t(D1, "01:10:00"))
    _execution(con, "prod", "E2", "FAILED", t(D1, "02:00:00"), t(D1, "02:01:00"), "boom 1")
    _task(con, "prod", "T3", "E2", "a", "FAILED", t(D1, "02:00:00"), t(D1, "02:01:00"),
          "task boom 7")  # fmt: skip
    _trigger(con, "prod")
    _insert(con, "trigger_runs", "prod", trigger_external_id="daily",
            fire_time=t(D1, "01:00:00"), workflow_external_id="etl", status="success",
            workflow_execution_id="E1")  # fmt: skip

    _insert(con, "task_definitions", "dev", definition_hash="H1", task_external_id="a",
            depends_on=[])  # fmt: skip
    _execution(con, "dev", "E1", "FAILED", t(D1, "01:00:00"), t(D1, "01:45:00"), "boom 2")
    _task(con, "dev", "T1", "E1", "a", "FAILED", t(D1, "01:00:00"), t(D1, "01:45:00"),
          "task boom 9")  # fmt: skip
    _trigger(con, "dev")


def test_two_projects_with_the_same_ids_stay_apart(tmp_path: Path) -> None:
    targets = tmp_path / "sla_targets.csv"
    targets.write_text("workflow_external_id,max_duration_minutes,deadline_utc,note\n*,30,,\n")
    with Warehouse(tmp_path / "wh") as wh:
        wh.ensure_schema()
        _build(wh.connection)
        install_sla(wh.connection, targets)
        con = wh.connection
        build_models(con)

        views = [m.name for m in load_models()]
        assert len(views) >= 23  # every model of warehouse/sql/models
        for view in views:
            first = rows(con, f'DESCRIBE "{view}"')[0][0]
            assert first == "cdf_project", view

        assert rows(
            con,
            "SELECT cdf_project, workflow_external_id, workflow_version, day, executions, "
            "completed, failed FROM execution_durations_daily ORDER BY cdf_project",
        ) == [("dev", "etl", "1", DAY1, 1, 0, 1), ("prod", "etl", "1", DAY1, 2, 1, 1)]

        # One failure per source in each project; joined across projects, dev's task row would
        # meet both executions E1 and count twice.
        assert rows(
            con,
            "SELECT cdf_project, source, normalized_reason, occurrences, executions "
            "FROM failure_reasons ORDER BY cdf_project, source",
        ) == [
            ("dev", "execution", "boom <n>", 1, 1),
            ("dev", "task", "task boom <n>", 1, 1),
            ("prod", "execution", "boom <n>", 1, 1),
            ("prod", "task", "task boom <n>", 1, 1),
        ]

        # Each execution uses its own project's H1: dev's has no b. prod E2: b did not run
        # (weight 0), so the tie goes to the shorter chain [a].
        assert rows(
            con,
            "SELECT cdf_project, execution_id, path_status, critical_path, critical_path_ms, "
            "dominant_task_external_id FROM critical_paths ORDER BY cdf_project, execution_id",
        ) == [
            ("dev", "E1", "ok", ["a"], 2_700_000, "a"),
            ("prod", "E1", "ok", ["a", "b"], 600_000, "b"),
            ("prod", "E2", "ok", ["a"], 60_000, "a"),
        ]

        # The '*' target applies to both projects; only dev's E1 runs past 30 min.
        assert rows(
            con,
            "SELECT cdf_project, execution_id, elapsed_ms, over_budget_ms FROM sla_breaches",
        ) == [("dev", "E1", 2_700_000, 900_000)]
        assert rows(
            con,
            "SELECT cdf_project, workflow_external_id, day, executions, breaching_executions "
            "FROM sla_breaches_daily ORDER BY cdf_project",
        ) == [("dev", "etl", DAY1, 1, 1), ("prod", "etl", DAY1, 2, 0)]

        # prod's fire at 01:00 is not dev's: dev's slot has no fire and is a missed run.
        assert rows(
            con,
            "SELECT cdf_project, trigger_external_id, outcome, fires_in_slot, execution_found, "
            "execution_status FROM trigger_fire_checks ORDER BY cdf_project",
        ) == [
            ("dev", "daily", "not_fired", 0, False, None),
            ("prod", "daily", "ran", 1, True, "COMPLETED"),
        ]
        assert rows(
            con, "SELECT cdf_project, event_kind, execution_id FROM sla_breach_events ORDER BY 2"
        ) == [("dev", "duration", "E1"), ("dev", "missed_run", None)]
