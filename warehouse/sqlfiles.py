"""Access to the SQL files shipped in ``warehouse/sql``.

``sql/*.sql``: analytics views, one ``CREATE OR REPLACE VIEW`` per file, run in file-name order
(prefix a number when a view depends on another). ``sql/store/*.sql``: the statements the store
runs, one per purpose. Every file starts with a header comment: description, depends, columns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from importlib import resources
from importlib.abc import Traversable

import duckdb


def _sql_dir() -> Traversable:
    return resources.files("warehouse").joinpath("sql")


@cache
def store_sql(name: str) -> str:
    """The text of ``sql/store/<name>.sql``."""
    return _sql_dir().joinpath("store", f"{name}.sql").read_text(encoding="utf-8")


def view_files() -> list[tuple[str, str]]:
    """(file name, SQL text) of every view file, sorted by file name."""
    files = [f for f in _sql_dir().iterdir() if f.is_file() and f.name.endswith(".sql")]
    return [(f.name, f.read_text(encoding="utf-8")) for f in sorted(files, key=lambda f: f.name)]


def create_views(con: duckdb.DuckDBPyConnection, only: Iterable[str] | None = None) -> list[str]:
    """Run every view file (or those named in ``only``) in order; returns the file names run."""
    wanted = None if only is None else set(only)
    names = []
    for name, text in view_files():
        if wanted is not None and name not in wanted:
            continue
        try:
            con.execute(text)
        except duckdb.Error as exc:
            raise RuntimeError(f"warehouse/sql/{name}: {exc}") from exc
        names.append(name)
    return names


def sql_header(text: str, field: str) -> str:
    """The value of a ``-- Field: ...`` header line of a SQL file, continuation lines joined;
    empty when the file has no such field (case-insensitive)."""
    match = re.search(rf"^--\s*{field}:\s*(.+?)(?=^--\s*\w+:|^[^-])", text, re.M | re.S | re.I)
    if not match:
        return ""
    return " ".join(line.lstrip("- ").strip() for line in match.group(1).splitlines()).strip()
