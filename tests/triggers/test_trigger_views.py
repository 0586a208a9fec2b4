"""The trigger views on a hand-written week of one daily trigger in Europe/Oslo.

Trigger `nightly` fires `0 6 * * *` in Europe/Oslo; summer time starts on 30 March 2025, so
06:00 local is 05:00 UTC on 28 and 29 March and 04:00 UTC from 30 March on. Six days are
expected (28 March .. 2 April). What happened:

| day | fire (UTC) | status | execution |
|---|---|---|---|
| 28 Mar | 05:00:00.400 | success | e1, started 05:00:05 |
| 29 Mar | 05:00:01 | success | e2, started 05:00:03 |
| 30 Mar | 04:00:00.200 | failed (session expired) | none |
| 31 Mar | no fire (paused) | | |
| 1 Apr | no fire (paused) | | |
| 2 Apr | 04:03:00 | success | e3, started 04:03:30 |
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from tests.support.detail_records import execution, ms
from warehouse.flatten import flatten_details
from warehouse.schema import TRIGGER_EXPECTED_FIRES
from warehouse.sla_targets import install_sla
from warehouse.store import Warehouse
from warehouse.trigger_tables import (
    expected_fires_frame,
    flatten_trigger_runs,
    flatten_triggers,
    write_trigger_batch,
)

EXPIRED = "Failed to create a session for the trigger: the session has expired."
NOW = datetime(2025, 4, 3, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def run(
    fire: str, status: str, execution_id: str | None = None, reason: str | None = None
) -> dict[str, object]:
    item = {
        "externalId": "nightly",
        "fireTime": ms(fire),
        "workflowExternalId": "wf-night",
        "workflowVersion": "2",
        "status": status,
    }
    if execution_id:
        item["workflowExecutionId"] = execution_id
    if reason:
        item["reasonForFailure"] = reason
    return item


@pytest.fixture
def wh(tmp_path: Path) -> Iterator[Warehouse]:
    with Warehouse(tmp_path / "wh") as wh:
        wh.ensure_schema()
        runs_at = [
            ("e1", "2025-03-28T05:00:00", "2025-03-28T05:00:05"),
            ("e2", "2025-03-29T05:00:01", "2025-03-29T05:00:03"),
            ("e3", "2025-04-02T04:03:00", "2025-04-02T04:03:30"),
        ]
        details = [
            execution(
                execution_id=i, workflow="wf-night", created=ms(c), start=ms(s), end=ms(s) + 60_000
            )
            for i, c, s in runs_at
        ]
        wh.apply_batch(flatten_details(details, ingested_at=NOW))
        trigger = {
            "externalId": "nightly",
            "workflowExternalId": "wf-night",
            "workflowVersion": "2",
            "triggerRule": {
                "triggerType": "schedule",
                "cronExpression": "0 6 * * *",
                "timezone": "Europe/Oslo",
            },
            "createdTime": ms("2025-03-27T12:00:00"),
            "lastUpdatedTime": ms("2025-04-02T03:00:00"),
            "isPaused": False,
            "someNewField": 1,
        }
        triggers, rejected_t = flatten_triggers([trigger, {"externalId": 5}], seen_at=NOW)
        runs, rejected_r = flatten_trigger_runs(
            [
                run("2025-03-28T05:00:00.400", "success", "e1"),
                run("2025-03-29T05:00:01", "success", "e2"),
                run("2025-03-30T04:00:00.200", "failed", reason=EXPIRED),
                run("2025-04-02T04:03:00", "success", "e3"),
                {"externalId": "nightly", "fireTime": "yesterday", "status": "success"},
            ],
            ingested_at=NOW,
        )
        expected = expected_fires_frame(
            "nightly",
            "0 6 * * *",
            "Europe/Oslo",
            utc("2025-03-28T00:00"),
            utc("2025-04-03T00:00"),
            computed_at=NOW,
        )
        write_trigger_batch(
            wh,
            triggers=triggers,
            runs=runs,
            expected=expected,
            resets=[],
            rejected=pl.concat([rejected_t, rejected_r]),
            state={},
        )
        yield wh


def test_fire_checks_match_the_hand_worked_week(wh: Warehouse) -> None:
    rows = wh.connection.execute(
        "SELECT scheduled_time, outcome, fire_lateness_ms, workflow_execution_id, "
        "start_lateness_ms FROM trigger_fire_checks ORDER BY scheduled_time"
    ).fetchall()
    assert rows == [
        (utc("2025-03-28T05:00"), "ran", 400, "e1", 5_000),
        (utc("2025-03-29T05:00"), "ran", 1_000, "e2", 3_000),
        (utc("2025-03-30T04:00"), "failed", 200, None, None),
        (utc("2025-03-31T04:00"), "not_fired", None, None, None),
        (utc("2025-04-01T04:00"), "not_fired", None, None, None),
        (utc("2025-04-02T04:00"), "ran", 180_000, "e3", 210_000),
    ]


def test_failed_fire_and_paused_days_are_missed_runs(wh: Warehouse) -> None:
    rows = wh.connection.execute(
        "SELECT day, miss_kind, reason FROM trigger_misses ORDER BY scheduled_time"
    ).fetchall()
    silent = "no fire recorded: trigger paused or not firing"
    assert rows == [
        (utc("2025-03-30T00:00").date(), "failed_fire", EXPIRED),
        (utc("2025-03-31T00:00").date(), "not_fired", silent),
        (utc("2025-04-01T00:00").date(), "not_fired", silent),
    ]
    periods = wh.connection.execute(
        "SELECT first_silent_time, last_silent_time, silent_fires, last_fire_before, "
        "resumed_scheduled_time, still_silent FROM trigger_paused_periods"
    ).fetchall()
    assert periods == [
        (
            utc("2025-03-31T04:00"),
            utc("2025-04-01T04:00"),
            2,
            datetime(2025, 3, 30, 4, 0, 0, 200_000, tzinfo=UTC),
            utc("2025-04-02T04:00"),
            False,
        )
    ]


def test_daily_counts_and_sla_breach_events(wh: Warehouse, tmp_path: Path) -> None:
    daily = wh.connection.execute(
        "SELECT day, expected, ran, failed_fires, not_fired, missed FROM trigger_fires_daily "
        "ORDER BY day"
    ).fetchall()
    assert [d[1:] for d in daily] == [
        (1, 1, 0, 0, 0),
        (1, 1, 0, 0, 0),
        (1, 0, 1, 0, 1),
        (1, 0, 0, 1, 1),
        (1, 0, 0, 1, 1),
        (1, 1, 0, 0, 0),
    ]
    targets = tmp_path / "targets.csv"
    # Every run lasts 60 s, inside a 2-minute budget: the only events are the missed runs.
    targets.write_text("workflow_external_id,max_duration_minutes,deadline_utc,note\n*,2,,\n")
    install_sla(wh.connection, targets)
    events = wh.connection.execute(
        "SELECT event_kind, event_time, trigger_external_id FROM sla_breach_events "
        "ORDER BY event_time"
    ).fetchall()
    assert events == [
        ("failed_fire", utc("2025-03-30T04:00"), "nightly"),
        ("missed_run", utc("2025-03-31T04:00"), "nightly"),
        ("missed_run", utc("2025-04-01T04:00"), "nightly"),
    ]


def test_unreadable_records_are_rejected_and_unknown_fields_kept(wh: Warehouse) -> None:
    rejected = wh.connection.execute(
        "SELECT source, reason FROM rejected_records ORDER BY source"
    ).fetchall()
    assert rejected == [
        ("trigger", "trigger has no externalId"),
        ("trigger_run", "trigger run fireTime is not an integer"),
    ]
    extra = wh.connection.execute("SELECT extra FROM workflow_triggers").fetchall()
    assert extra == [('{"someNewField":1}',)]
    assert wh.connection.execute("SELECT count(*) FROM trigger_expected_fires").fetchall() == [(6,)]
    assert TRIGGER_EXPECTED_FIRES.key == ("trigger_external_id", "scheduled_time")


def test_parquet_partitions_by_fire_and_scheduled_date(wh: Warehouse) -> None:
    wh.flush()
    root = wh.parquet_root
    assert sorted(p.name for p in (root / "trigger_runs").iterdir()) == [
        "fire_date=2025-03-28",
        "fire_date=2025-03-29",
        "fire_date=2025-03-30",
        "fire_date=2025-04-02",
    ]
    assert len(list((root / "trigger_expected_fires").iterdir())) == 6
    assert [p.name for p in (root / "workflow_triggers").iterdir()] == ["created_date=2025-03-27"]


def test_fires_at_the_edges_of_their_slots(tmp_path: Path) -> None:
    """An hourly trigger, slots 10:00, 11:00 and 12:00 UTC. A slot runs from 5 s before its time
    (included) to 5 s before the next one (excluded; for the last: one period on). A fire at
    09:50 is in no slot; one at 09:59:55 is early for 10:00; 11:00 has a failed fire, then a
    success; the fires at 12:59:55 and 13:00 are at or after the last slot's end, so 12:00 was
    not fired."""
    fires = [
        ("2025-03-28T09:50:00", "success"),
        ("2025-03-28T09:59:55", "success"),
        ("2025-03-28T11:00:10", "failed"),
        ("2025-03-28T11:20:00", "success"),
        ("2025-03-28T12:59:55", "success"),
        ("2025-03-28T13:00:00", "success"),
    ]
    with Warehouse(tmp_path / "wh") as wh:
        wh.ensure_schema()
        triggers, rejected_t = flatten_triggers(
            [
                {
                    "externalId": "hourly",
                    "workflowExternalId": "wf-hourly",
                    "workflowVersion": "1",
                    "triggerRule": {"triggerType": "schedule", "cronExpression": "0 * * * *"},
                    "createdTime": ms("2025-03-27T12:00:00"),
                    "lastUpdatedTime": ms("2025-03-27T12:00:00"),
                    "isPaused": False,
                }
            ],
            seen_at=NOW,
        )
        runs, rejected_r = flatten_trigger_runs(
            [
                {"externalId": "hourly", "fireTime": ms(t), "workflowExternalId": "wf-hourly",
                 "workflowVersion": "1", "status": s}
                for t, s in fires
            ],
            ingested_at=NOW,
        )  # fmt: skip
        expected = expected_fires_frame(
            "hourly",
            "0 * * * *",
            "UTC",
            utc("2025-03-28T10:00"),
            utc("2025-03-28T12:30"),
            computed_at=NOW,
        )
        write_trigger_batch(
            wh, triggers=triggers, runs=runs, expected=expected, resets=[],
            rejected=pl.concat([rejected_t, rejected_r]), state={},
        )  # fmt: skip
        rows = wh.connection.execute(
            "SELECT scheduled_time, outcome, fires_in_slot, fire_lateness_ms "
            "FROM trigger_fire_checks ORDER BY scheduled_time"
        ).fetchall()
    assert rows == [
        (utc("2025-03-28T10:00"), "ran", 1, -5_000),
        (utc("2025-03-28T11:00"), "ran", 2, 1_200_000),
        (utc("2025-03-28T12:00"), "not_fired", 0, None),
    ]
