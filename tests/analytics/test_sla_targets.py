from __future__ import annotations

from datetime import time
from pathlib import Path

import duckdb
import pytest

from warehouse.sla_targets import (
    DEFAULT_SLA_TARGETS_FILE,
    SlaTargetsError,
    load_sla_targets,
    read_sla_targets,
    sla_targets_file,
)


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
        ("*", None, None, None),
        ("it's", 90_000, time(6, 30), "a note"),
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
    ],
)
def test_invalid_files_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SlaTargetsError, match=message):
        read_sla_targets(_write(tmp_path, text))


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SlaTargetsError, match="cannot read SLA targets"):
        read_sla_targets(tmp_path / "nope.csv")


def test_path_from_environment_or_default(tmp_path: Path) -> None:
    assert sla_targets_file({}) == DEFAULT_SLA_TARGETS_FILE
    assert sla_targets_file({"SLA_TARGETS_FILE": str(tmp_path / "x.csv")}) == tmp_path / "x.csv"
    # The shipped file parses and has the '*' default row.
    assert "*" in {t.workflow_external_id for t in read_sla_targets(DEFAULT_SLA_TARGETS_FILE)}
