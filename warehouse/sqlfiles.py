"""The one loader of the SQL files shipped in ``warehouse/sql``.

``sql/models/``: the analytics models, written as dbt models are (``warehouse.analytics`` builds
them; ``sql/analytics/`` holds that build's own statements). ``sql/store/``: the statements the
store runs, one per purpose; ``sql/checks/``, ``sql/inspect/``, ``sql/alerts/``, ``sql/report/``:
the data checks, the previews, the alert events and the report's queries. Every file starts
with a header comment (description, depends, columns; a check's or model's own fields).

Values are always bound as parameters. Names that cannot be bound (a table, its columns, its
key) are written ``{table}``, ``{columns}``, ``{key}``, ``{partition}`` in a file and filled by
:func:`table_sql` from the table's declaration in :mod:`warehouse.schema`, quoted.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from importlib.abc import Traversable

from warehouse.table_model import Table, quote_identifier


def _folder(*parts: str) -> Traversable:
    return resources.files("warehouse").joinpath("sql", *parts)


@cache
def sql_file(*parts: str) -> str:
    """The text of ``sql/<parts...>.sql``, e.g. ``sql_file("store", "read_state")``."""
    *folders, name = parts
    return _folder(*folders).joinpath(f"{name}.sql").read_text(encoding="utf-8")


def sql_names(*folder: str) -> list[str]:
    """The names (without ``.sql``) of the files in ``sql/<folder>``, sorted."""
    files = (f.name for f in _folder(*folder).iterdir() if f.name.endswith(".sql"))
    return sorted(name.removesuffix(".sql") for name in files)


def sql_files(*folder: str) -> list[tuple[str, str]]:
    """(file name, SQL text) of every ``.sql`` file in ``sql/<folder>``, sorted by file name."""
    return [(f"{name}.sql", sql_file(*folder, name)) for name in sql_names(*folder)]


def store_sql(name: str) -> str:
    """The text of ``sql/store/<name>.sql``."""
    return sql_file("store", name)


@cache
def table_sql(name: str, table: Table) -> str:
    """``sql/store/<name>.sql`` with the table's names filled in, each quoted: ``{table}``,
    ``{columns}`` (as stored), ``{key}`` (as stored), ``{partition}`` (its partition column)
    and ``{table_before_project}`` (its name while it is rebuilt with a project column)."""
    return store_sql(name).format(
        table=quote_identifier(table.name),
        columns=", ".join(quote_identifier(c) for c in table.stored_column_names),
        key=", ".join(quote_identifier(k) for k in table.stored_key),
        partition=quote_identifier(table.partition_column or ""),
        table_before_project=quote_identifier(f"{table.name}__before_cdf_project"),
    )


def sql_header(text: str, field: str) -> str:
    """The value of a ``-- Field: ...`` header line of a SQL file, continuation lines joined;
    empty when the file has no such field (case-insensitive)."""
    match = re.search(rf"^--\s*{field}:\s*(.+?)(?=^--\s*\w+:|^[^-])", text, re.M | re.S | re.I)
    if not match:
        return ""
    return " ".join(line.lstrip("- ").strip() for line in match.group(1).splitlines()).strip()
