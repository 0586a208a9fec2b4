from __future__ import annotations

from warehouse.docs import BEGIN, DOC_PATH, END, render
from warehouse.schema import ALL_TABLES


def test_docs_table_reference_is_up_to_date() -> None:
    text = DOC_PATH.read_text(encoding="utf-8")
    assert BEGIN in text and END in text
    assert render(text) == text, "run: .venv/bin/python -m warehouse.docs"


def test_every_column_is_documented() -> None:
    text = DOC_PATH.read_text(encoding="utf-8")
    for table in ALL_TABLES:
        assert f"### `{table.name}`" in text
        for column in table.columns:
            assert column.description
            assert f"| `{column.name}` | `{column.duckdb_type}` |" in text
