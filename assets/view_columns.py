"""Descriptions of the analytics views' columns, for the Dagster UI.

The analysts' reference, docs/analytics.md, is the one place they are written: each view's
section has a table of its columns (``| `a`, `b` | what they mean |``). A column that section
does not describe takes the description of the same column in a view or table it reads
(its `ref`/`source` calls), and then of the same-named column of an ingested table (the
warehouse's table declarations), so a key such as ``cdf_project`` is described once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from ingest.settings import REPO_ROOT
from warehouse.schema import ALL_TABLES

ANALYTICS_DOC = REPO_ROOT / "docs" / "analytics.md"
_SECTION = re.compile(r"^#{2,4} .*?`([a-z_][a-z0-9_]*)`", re.M)
_NAME = re.compile(r"`([a-z_][a-z0-9_]*)`")


def documented_columns(text: str) -> dict[str, dict[str, str]]:
    """{view: {column: description}} from the column tables of each view's section."""
    found: dict[str, dict[str, str]] = {}
    starts = list(_SECTION.finditer(text))
    for here, after in zip(starts, [*starts[1:], None], strict=True):
        body = text[here.end() : after.start() if after else len(text)]
        columns = found.setdefault(here.group(1), {})
        for line in body.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not line.startswith("|") or len(cells) < 2 or set(cells[0]) <= {"-", ":"}:
                continue
            for name in _NAME.findall(cells[0]):
                columns.setdefault(name, cells[1].replace("`", ""))
    return found


@cache
def _documented() -> dict[str, dict[str, str]]:
    # The image of the code location copies docs/analytics.md; without it the UI shows the
    # columns without descriptions rather than failing to load.
    path = Path(ANALYTICS_DOC)
    return documented_columns(path.read_text(encoding="utf-8")) if path.exists() else {}


@cache
def _sources() -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Descriptions by view or table and column (the reference over the table declarations),
    and by column name alone from any ingested table; built once, read for every view."""
    by_table = {t.name: {c.name: c.description for c in t.stored_columns} for t in ALL_TABLES}
    any_table: dict[str, str] = {}
    for table in ALL_TABLES:
        for column in table.stored_columns:
            any_table.setdefault(column.name, column.description)
    return {**by_table, **_documented()}, any_table


def column_descriptions(
    view: str, columns: Iterable[str], depends: Mapping[str, Iterable[str]]
) -> dict[str, str]:
    """A description for each of ``columns`` of ``view`` that one can be found for.

    ``depends``: each model's upstream models and tables (its ref and source calls)."""
    documented, any_table = _sources()

    def lookup(name: str, column: str, seen: set[str]) -> str | None:
        if name in seen:
            return None
        seen.add(name)
        if text := documented.get(name, {}).get(column):
            return text
        for upstream in depends.get(name, ()):
            if text := lookup(upstream, column, seen):
                return text
        return None

    out = {}
    for column in columns:
        text = lookup(view, column, set()) or any_table.get(column)
        if text:
            out[column] = text
    return out
