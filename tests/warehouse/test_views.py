from __future__ import annotations

from datetime import date

import duckdb
import pytest

from tests.support.detail_records import execution, ms
from tests.support.parquet import NOW
from warehouse.analytics.build import create_models
from warehouse.analytics.models import load_models
from warehouse.flatten import flatten_details
from warehouse.sqlfiles import store_sql
from warehouse.store import Warehouse

COLUMNS = [
    "cdf_project",
    "workflow_external_id",
    "day",
    "executions",
    "completed",
    "failed",
    "success_rate",
    "p50_duration_ms",
    "p95_duration_ms",
]


def _records() -> list[dict]:
    d1 = ms("2024-05-01T08:00:00")
    return [
        execution(workflow="wf-a", status="COMPLETED", created=d1, start=d1, end=d1 + 1000),
        execution(workflow="wf-a", status="COMPLETED", created=d1, start=d1, end=d1 + 2000),
        execution(workflow="wf-a", status="FAILED", created=d1, start=d1 + 5, end=d1 + 3005),
        # terminal without a start: counts as failed, has no duration
        execution(workflow="wf-a", status="TIMED_OUT", created=d1, end=d1 + 50),
        # end before start: terminal, duration NULL, so not in the percentiles
        execution(workflow="wf-a", status="TERMINATED", created=d1, start=d1 + 10, end=d1),
        execution(workflow="wf-a", status="RUNNING", created=d1, start=d1),
        # unknown status with a duration: counted in volume only
        execution(workflow="wf-a", status="PAUSED", created=d1, start=d1, end=d1 + 999_999),
        # last millisecond of the UTC day, ties with the 2000 above
        execution(
            workflow="wf-a",
            status="COMPLETED",
            created=ms("2024-05-01T23:59:59.999"),
            start=ms("2024-05-02T00:00:01"),
            end=ms("2024-05-02T00:00:03"),
        ),
        # 03:00 UTC on the 2nd is still the 1st in America; the view must say the 2nd
        execution(workflow="wf-a", status="RUNNING", created=ms("2024-05-02T03:00:00")),
        execution(
            workflow="wf-b",
            status="COMPLETED",
            created=ms("2024-05-01T00:00:00"),
            start=ms("2024-05-01T00:00:00"),
            end=ms("2024-05-01T00:00:00.250"),
        ),
    ]


EXPECTED = [
    # executions 8; completed 3; failed = FAILED + TIMED_OUT + TERMINATED = 3; rate 3/6;
    # durations of terminal runs with one: 1000, 2000, 2000, 3000 ->
    # p50 = 2000 (between the tied middle pair), p95 = 2000 + 0.85 * 1000 = 2850
    ("default", "wf-a", date(2024, 5, 1), 8, 3, 3, 0.5, 2000.0, 2850.0),
    ("default", "wf-a", date(2024, 5, 2), 1, 0, 0, None, None, None),
    ("default", "wf-b", date(2024, 5, 1), 1, 1, 0, 1.0, 250.0, 250.0),
]


@pytest.fixture
def sla_wh(wh: Warehouse) -> Warehouse:
    create_models(wh.connection)
    wh.apply_batch(flatten_details(_records(), ingested_at=NOW))
    return wh


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Pacific/Kiritimati"])
def test_workflow_daily_sla_by_hand(sla_wh: Warehouse, zone: str) -> None:
    con = sla_wh.connection
    _set_zone(con, zone)
    rows = con.execute(
        "SELECT * FROM workflow_daily_sla ORDER BY workflow_external_id, day"
    ).fetchall()
    described = [r[0] for r in con.execute("DESCRIBE workflow_daily_sla").fetchall()]
    assert described == COLUMNS
    assert rows == EXPECTED


def _set_zone(con: duckdb.DuckDBPyConnection, zone: str) -> None:
    # SET takes no parameters; the zone names are test constants chosen from a fixed list.
    assert zone in {"UTC", "America/Los_Angeles", "Pacific/Kiritimati"}
    con.execute(f"SET TimeZone = '{zone}'")


def test_models_build_after_what_they_ref_and_each_has_a_header() -> None:
    models = load_models()
    position = {m.name: i for i, m in enumerate(models)}
    assert "workflow_daily_sla" in position
    for model in models:
        assert all(position[r] < position[model.name] for r in model.refs), model.name
        for part in ("-- description:", "-- grain:", "-- columns:"):
            assert part in model.template.lower(), (model.name, part)


@pytest.mark.parametrize(
    "name",
    [
        "mark_dirty_executions",
        "insert_tasks",
        "summaries",
        "open_executions",
        "upsert_state",
        "clear_dirty_partitions",
    ],
)
def test_store_statements_have_headers(name: str) -> None:
    text = store_sql(name)
    lines = text.splitlines()
    assert lines[0].startswith("-- description:")
    assert any(line.startswith("-- depends:") for line in lines)
    assert any(line.startswith("-- columns:") for line in lines)
