from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import duckdb
import pytest

from ingest.settings import DEFAULT_SLA_TARGETS_FILE, WarehouseSettings
from tests.support.analytics_world import execution
from warehouse.analytics.build import build_models
from warehouse.sla_targets import (
    SlaTargetsError,
    install_sla,
    load_sla_targets,
    read_sla_targets,
)
from warehouse.store import Warehouse


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_replaces_rows_and_keeps_text_as_data(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    first = _write(tmp_path, "workflow_external_id,max_duration_minutes,deadline_utc\n*,60,\n")
    assert load_sla_targets(con, first) == 1
    # A quote in a name is data, never SQL.
    second = _write(
        tmp_path,
        "workflow_external_id,max_duration_minutes,deadline_utc,note\n"
        "it's,1.5,06:30,a note\n*,,,\n",
    )
    assert load_sla_targets(con, second) == 2
    assert con.execute("SELECT * FROM sla_targets ORDER BY 1").fetchall() == [
        ("*", None, None, None, None),
        ("it's", 90_000, time(6, 30), "a note", None),
    ]


def test_a_broken_file_leaves_the_previous_targets(tmp_path: Path) -> None:
    con = duckdb.connect()
    load_sla_targets(
        con, _write(tmp_path, "workflow_external_id,max_duration_minutes,deadline_utc\n*,5,\n")
    )
    bad = _write(tmp_path, "workflow_external_id,max_duration_minutes,deadline_utc\nx,5,25:99\n")
    with pytest.raises(SlaTargetsError, match=r"targets.csv:2: deadline_utc '25:99'"):
        load_sla_targets(con, bad)
    assert con.execute("SELECT max_duration_ms FROM sla_targets").fetchall() == [(300_000,)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("workflow_external_id,deadline_utc\n", "missing column"),
        ("workflow_external_id,max_duration_minutes,deadline_utc\na,x,\n", "not a number"),
        ("workflow_external_id,max_duration_minutes,deadline_utc\na,-1,\n", ">= 0"),
        ("workflow_external_id,max_duration_minutes,deadline_utc\na,1,\na,2,\n", "twice"),
        ("workflow_external_id,max_duration_minutes,deadline_utc\na,p0,\n", "between p0"),
        ("workflow_external_id,max_duration_minutes,deadline_utc\na,p95x,\n", "not a number"),
    ],
)
def test_invalid_files_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SlaTargetsError, match=message):
        read_sla_targets(_write(tmp_path, text))


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SlaTargetsError, match="cannot read SLA targets"):
        read_sla_targets(tmp_path / "nope.csv")


def test_path_from_environment_or_default(tmp_path: Path) -> None:
    assert WarehouseSettings.load({}).sla_targets_file == DEFAULT_SLA_TARGETS_FILE
    configured = WarehouseSettings.load({"SLA_TARGETS_FILE": str(tmp_path / "x.csv")})
    assert configured.sla_targets_file == tmp_path / "x.csv"
    # The shipped file parses, has the '*' default row, and is what the settings give unset.
    shipped = read_sla_targets(DEFAULT_SLA_TARGETS_FILE)
    assert "*" in {t.workflow_external_id for t in shipped}
    con = duckdb.connect()
    assert load_sla_targets(con, WarehouseSettings.load({}).sla_targets_file) == len(shipped)


def test_percentile_budget_is_each_workflows_own_nearest_rank_duration(tmp_path: Path) -> None:
    targets = _write(
        tmp_path,
        "workflow_external_id,max_duration_minutes,deadline_utc\n*,p95,\nfixed,1,\nfew,p50,\n",
    )
    start = datetime(2024, 5, 1, tzinfo=UTC)
    with Warehouse(tmp_path / "wh") as wh:
        wh.ensure_schema()
        con = wh.connection
        # "busy": completed runs of 1..40 minutes; p95 by nearest rank is the 38th: 38 min.
        for i in range(1, 41):
            created = start + timedelta(hours=i)
            end = created + timedelta(minutes=i)
            execution(con, f"b{i}", "busy", "1", "COMPLETED", created, created, end)
        # Only completed runs set the budget; a failed run slower than it breaches like others.
        created = start + timedelta(days=3)
        execution(con, "bf", "busy", "1", "FAILED", created, created, created + timedelta(
            minutes=39.5))  # fmt: skip
        # Its own fixed budget beats the '*' percentile.
        for i in range(1, 31):
            created = start + timedelta(hours=i)
            execution(con, f"f{i}", "fixed", "1", "COMPLETED", created, created,
                      created + timedelta(seconds=30 + i))  # fmt: skip
        # Fewer than 20 completed runs: no percentile budget yet.
        for i in range(1, 6):
            created = start + timedelta(hours=i)
            execution(con, f"w{i}", "few", "1", "COMPLETED", created, created,
                      created + timedelta(minutes=i))  # fmt: skip
        install_sla(con, targets)
        build_models(con)
        got = dict(
            con.execute(
                "SELECT workflow_external_id, list(DISTINCT max_duration_ms) FROM sla_checks "
                "GROUP BY 1"
            ).fetchall()
        )
        assert got == {"busy": [38 * 60_000], "fixed": [60_000], "few": [None]}
        breaches = con.execute(
            "SELECT execution_id FROM sla_checks WHERE breached ORDER BY 1"
        ).fetchall()
        assert breaches == [("b39",), ("b40",), ("bf",)]
