"""Small read-only looks into an open warehouse: counts and a preview for humans."""

from __future__ import annotations

from importlib import resources
from typing import Any

from warehouse.store import Warehouse


def _sql(name: str) -> str:
    return resources.files("warehouse").joinpath("sql", "inspect", f"{name}.sql").read_text()


def recent_executions(warehouse: Warehouse, limit: int = 10) -> list[dict[str, Any]]:
    cursor = warehouse.connection.execute(_sql("recent_executions"), {"limit": limit})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """A GitHub-style markdown table (Dagster renders it in the asset's metadata)."""
    if not rows:
        return "_no rows_"
    names = list(rows[0])

    def cell(value: Any) -> str:
        return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join(cell(r[n]) for n in names) + " |" for r in rows]
    return "\n".join(lines)
