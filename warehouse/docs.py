"""Keep the column reference in ``docs/warehouse.md`` generated from :mod:`warehouse.schema`.

``python -m warehouse.docs`` rewrites the part between the two markers; a test fails when the
committed document differs from what this would write.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from warehouse.schema import ALL_TABLES

BEGIN = "<!-- BEGIN generated tables: python -m warehouse.docs -->"
END = "<!-- END generated tables -->"
DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "warehouse.md"


def _markdown_lines() -> Iterator[str]:
    for t in ALL_TABLES:
        yield f"### `{t.name}`"
        yield ""
        yield t.description
        yield ""
        key = ", ".join(f"`{k}`" for k in t.stored_key)
        key = f"({key})" if len(t.stored_key) > 1 else key
        how = "" if t.enforce_key else " (kept unique by the writer, not by a DuckDB index)"
        yield f"Key: {key}{how}."
        if t.partition_column is not None:
            yield (
                f"Parquet partition: `{t.partition_key}=YYYY-MM-DD`, the UTC date of "
                f"`{t.partition_column}`."
            )
        else:
            yield "Internal: not exported to Parquet."
        yield ""
        yield "| column | type | description |"
        yield "|---|---|---|"
        for c in t.stored_columns:
            desc = c.description.replace("|", "\\|")
            yield f"| `{c.name}` | `{c.duckdb_type}` | {desc} |"
        yield ""


def tables_markdown() -> str:
    """The column reference embedded in ``docs/warehouse.md``."""
    return "\n".join(_markdown_lines()).rstrip() + "\n"


def render(document: str) -> str:
    """The document with its generated section replaced by the current table reference."""
    start = document.index(BEGIN) + len(BEGIN)
    stop = document.index(END)
    return document[:start] + "\n\n" + tables_markdown() + "\n" + document[stop:]


def main() -> int:
    text = DOC_PATH.read_text(encoding="utf-8")
    new = render(text)
    if new != text:
        DOC_PATH.write_text(new, encoding="utf-8")
        print(f"updated {DOC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
