"""`workflow-analytics sql`: every column, rounded floats in the table, and CSV and JSON that
parse back to the query's values."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.held_open import held_open
from warehouse.errors import BEING_WRITTEN
from warehouse.store import Warehouse
from workflow_analytics.cli_output import display_value, render_table

CLI = Path(sys.executable).parent / "workflow-analytics"
# Twelve columns, wider than a terminal: none may be hidden.
WIDE = (
    "SELECT i AS id, 'workflow-' || i AS workflow_external_id, i / 7 AS ratio, "
    "i * 1234.56789 AS big, NULL AS nothing, TIMESTAMPTZ '2026-01-02 03:04:05+00' AS at, "
    "'a,b \"q\"' AS awkward, i % 2 = 0 AS even, [i, i + 1] AS pair, 1e-7 AS tiny, "
    "'long text value number ' || i AS c11, i * 2 AS c12 FROM range(1, 4) t(i) ORDER BY i"
)
COLUMNS = [
    "id", "workflow_external_id", "ratio", "big", "nothing", "at",
    "awkward", "even", "pair", "tiny", "c11", "c12",
]  # fmt: skip


@pytest.fixture(scope="module")
def warehouse_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sql") / "wh"
    with Warehouse(directory) as wh:
        wh.ensure_schema()
    return directory


def _sql(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WAREHOUSE_DIR": str(directory), "COLUMNS": "80"}
    return subprocess.run(
        [str(CLI), "sql", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_table_shows_every_column_and_rounds_floats(warehouse_dir: Path) -> None:
    result = _sql(warehouse_dir, WIDE)
    assert result.returncode == 0, result.stderr
    header, rule, *rows = result.stdout.splitlines()
    assert [c.strip() for c in header.split(" | ")] == COLUMNS
    assert set(rule) <= {"-", "+"}
    assert len(rows) == 3
    first = [c.strip() for c in rows[0].split(" | ")]
    assert first[2] == "0.143"  # 1/7
    assert first[3] == "1234.6"  # 1234.56789
    assert first[4] == "NULL"
    assert first[9] == "1e-07"
    assert "(3 rows)" in result.stderr


def test_table_says_when_rows_were_left_out(warehouse_dir: Path) -> None:
    result = _sql(warehouse_dir, "SELECT * FROM range(10)", "--limit", "4")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2 + 4
    assert "more rows exist" in result.stderr


def test_csv_parses_back_to_unrounded_values(warehouse_dir: Path) -> None:
    result = _sql(warehouse_dir, WIDE, "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == COLUMNS
    assert len(rows) == 4
    assert float(rows[1][2]) == pytest.approx(1 / 7)
    assert rows[1][4] == ""  # NULL
    assert rows[1][6] == 'a,b "q"'
    assert rows[1][5].startswith("2026-01-02")


def test_json_is_one_object_per_row(warehouse_dir: Path) -> None:
    result = _sql(warehouse_dir, WIDE, "--format", "json")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert [list(r) for r in records] == [COLUMNS] * 3
    assert records[2]["id"] == 3 and records[2]["pair"] == [3, 4]
    assert records[0]["ratio"] == pytest.approx(1 / 7)
    assert records[0]["nothing"] is None and records[1]["even"] is True
    assert records[0]["at"].startswith("2026-01-02T03:04:05")


def test_json_columns_are_nested_not_escaped(warehouse_dir: Path) -> None:
    # The warehouse keeps metadata, input and extra as DuckDB JSON; a text column stays text.
    query = (
        """SELECT '{"team": "ops", "tags": [1, 2.5], "huge": 1e400}'::JSON AS metadata, """
        """'{"a": 1}' AS text"""
    )
    result = _sql(warehouse_dir, query, "--format", "json")
    assert result.returncode == 0, result.stderr

    def not_json(constant: str) -> None:
        raise AssertionError(f"{constant} is not JSON")

    # A number no float holds stays its digits: Infinity would not be JSON.
    assert json.loads(result.stdout, parse_constant=not_json) == [
        {"metadata": {"team": "ops", "tags": [1, 2.5], "huge": "1E+400"}, "text": '{"a": 1}'}
    ]


def test_a_query_as_the_docs_write_it_runs_as_given(warehouse_dir: Path) -> None:
    # A first line that is a comment, and a `;` followed by a comment: as pasted from the docs.
    query = "-- How many?\nSELECT i FROM range(10) t(i) ORDER BY i;  -- the first ten"
    result = _sql(warehouse_dir, query, "--limit", "3", "--format", "csv")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["i", "0", "1", "2"]
    # An option that does not exist is still named as one.
    wrong = _sql(warehouse_dir, "--limt", "3", "SELECT 1")
    assert wrong.returncode == 2
    assert "No such option" in wrong.stderr and "--limt" in wrong.stderr


def test_unknown_format_is_a_configuration_error(warehouse_dir: Path) -> None:
    result = _sql(warehouse_dir, "SELECT 1", "--format", "xml")
    assert result.returncode == 2
    assert result.stderr.startswith("error: --format must be one of table, csv, json")


@pytest.mark.parametrize(
    ("query", "count"), [("", 0), (";", 0), ("-- only a comment", 0), ("SELECT 1; SELECT 2", 2)]
)
def test_a_query_that_is_not_one_statement_is_refused_in_one_line(
    warehouse_dir: Path, query: str, count: int
) -> None:
    result = _sql(warehouse_dir, query)
    assert result.returncode == 2, result.stderr
    assert result.stderr == f"error: QUERY must hold one SQL statement; it holds {count}\n"
    assert result.stdout == ""


def test_a_trailing_semicolon_and_a_negative_limit(warehouse_dir: Path) -> None:
    result = _sql(warehouse_dir, "SELECT 42 AS answer;")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["answer", "------", "42"]
    negative = _sql(warehouse_dir, "--limit", "-5", "SELECT 42")
    assert negative.returncode == 2
    assert "--limit" in negative.stderr and "-5 is not in the range x>=0" in negative.stderr


def test_display_rounding() -> None:
    assert display_value(0.0) == "0"
    assert display_value(2.5) == "2.5"
    assert display_value(0.95238095) == "0.952"
    assert display_value(-0.0001234) == "-0.000123"
    assert display_value(123456.789) == "123456.8"
    assert display_value(3e20) == "3e+20"
    assert render_table(["a"], []) == "a\n-"


def test_a_warehouse_being_written_is_one_line_saying_so(warehouse_dir: Path) -> None:
    database = warehouse_dir / "workflows.duckdb"
    with held_open(database):
        result = _sql(warehouse_dir, "SELECT 1")
    assert result.returncode == 1
    assert result.stderr == f"error: {BEING_WRITTEN}\n"
