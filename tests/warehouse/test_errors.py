from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.support.held_open import held_open
from warehouse.errors import error_line, first_line, is_lock_conflict


def test_a_duckdb_error_shows_its_first_line_without_the_advice() -> None:
    with pytest.raises(duckdb.Error) as caught:
        duckdb.connect().execute("SELECT * FROM no_such_table")
    message = str(caught.value)
    assert "\n" in message.strip()  # DuckDB adds lines after the one that names the error
    line = error_line(caught.value)
    assert "no_such_table" in line and "\n" not in line
    assert line == message.strip().splitlines()[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", "fallback"), ("  \n\n", "fallback"), ("\n  second  \nthird", "second")],
)
def test_blank_lines_are_skipped_and_an_empty_message_falls_back(text: str, expected: str) -> None:
    assert first_line(text, "fallback") == expected


def test_an_exception_without_a_message_is_named_by_its_type() -> None:
    assert error_line(duckdb.OutOfMemoryException()) == "OutOfMemoryException"


def test_only_another_process_holding_the_file_is_a_lock_conflict(tmp_path: Path) -> None:
    database = tmp_path / "held.duckdb"
    with held_open(database), pytest.raises(duckdb.IOException) as held:
        duckdb.connect(str(database))
    assert is_lock_conflict(held.value)
    # A file that is not a database is an I/O error of another kind.
    (tmp_path / "not.duckdb").write_bytes(b"x" * 8192)
    with pytest.raises(duckdb.Error) as other:
        duckdb.connect(str(tmp_path / "not.duckdb"))
    assert not is_lock_conflict(other.value)
