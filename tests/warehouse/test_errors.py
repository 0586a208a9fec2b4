from __future__ import annotations

import duckdb
import pytest

from warehouse.errors import error_line, first_line


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
