"""Keep the column reference in ``docs/warehouse.md`` generated from :mod:`warehouse.schema`.

``python -m warehouse.docs`` rewrites the part between the two markers; a test fails when the
committed document differs from what this would write.
"""

from __future__ import annotations

import sys
from pathlib import Path

from warehouse.schema import tables_markdown

BEGIN = "<!-- BEGIN generated tables: python -m warehouse.docs -->"
END = "<!-- END generated tables -->"
DOC_PATH = Path(__file__).resolve().parent.parent / "docs" / "warehouse.md"


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
