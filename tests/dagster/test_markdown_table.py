"""The markdown tables in the assets' metadata: one row per record, a cell stays one cell."""

from __future__ import annotations

from assets.common import markdown_table


def _cells(text: str) -> list[list[str]]:
    # Split on pipes that are not escaped.
    rows = []
    for line in text.splitlines():
        inner = line.strip()[1:-1].replace("\\|", "\0")
        rows.append([c.strip().replace("\0", "\\|") for c in inner.split("|")])
    return rows


def test_rows_become_a_table_with_a_header_and_one_line_per_row() -> None:
    text = markdown_table([{"id": "a", "n": 1, "note": None}, {"id": "b", "n": 22, "note": "x"}])
    cells = _cells(text)
    assert cells[0] == ["id", "n", "note"]
    assert set(cells[1]) <= {"-" * len(c) for c in cells[1]} and all(cells[1])
    assert cells[2:] == [["a", "1", ""], ["b", "22", "x"]]


def test_pipes_and_line_breaks_in_values_stay_inside_their_cell() -> None:
    cells = _cells(markdown_table([{"reason": "a|b\nc", "k": "v"}]))
    assert cells[2] == ["a\\|b c", "v"]


def test_no_rows() -> None:
    assert markdown_table([]) == "_no rows_"
