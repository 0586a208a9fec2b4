"""The data checks: SQL files in ``warehouse/sql/checks/`` that return the failing rows.

A file's header names the check, its asset, its severity (``warn`` or ``error``), why it has that
severity, a description and a one-line summary (see docs/reliability.md). Its body is a jinja
template rendered for one of two scopes:

- **the whole warehouse** (``scoped`` false): every stored row. Checks run this way on their own
  (the UI's "Execute checks", a test);
- **what was written since** (``scoped`` true, ``$since`` bound): the executions stamped
  (``ingested_at``) at or after ``since`` and their task rows. A nightly run checks these, from
  where the checks of the last run whose blocking checks passed started (``assets.checks``):
  the older rows were checked by then, and a warning about a source record is reported by the
  run that wrote it, not by the runs after.

``{{ executions }}`` and ``{{ tasks }}`` name the relation of the scope (the stored table, or the
rows written, from ``sql/checks/scope/``); a check that compares the rows written with every
stored row (a key written twice) writes both forms with ``{% if scoped %}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import duckdb
import jinja2

from warehouse.sqlfiles import sql_file, sql_files, sql_header

SEVERITIES = ("warn", "error")
# Our clock and CDF's may differ a little: only times further ahead than this are "future".
TIME_TOLERANCE_MS = 5_000

_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)


@dataclass(frozen=True)
class DataCheck:
    name: str
    asset: str
    description: str
    severity: str
    why: str
    summary: str
    measure: str
    file: str
    returns: str
    template: str


@dataclass(frozen=True)
class Findings:
    """What a check found: how many failing rows, the worst ``measure`` among them (or None),
    and up to the number of examples asked for."""

    count: int
    worst: Any
    examples: list[dict[str, Any]]

    @property
    def passed(self) -> bool:
        return self.count == 0


class DataCheckError(ValueError):
    """A check file that cannot be used (unknown severity, a template error)."""


@cache
def data_checks() -> tuple[DataCheck, ...]:
    checks = []
    for file_name, text in sql_files("checks"):
        where = f"warehouse/sql/checks/{file_name}"
        severity = sql_header(text, "severity").lower()
        if severity not in SEVERITIES:
            raise DataCheckError(f"{where}: severity must be warn or error")
        checks.append(
            DataCheck(
                name=sql_header(text, "check"),
                asset=sql_header(text, "asset"),
                description=sql_header(text, "description"),
                severity=severity,
                why=sql_header(text, "why"),
                summary=sql_header(text, "summary") or "{count} failing rows",
                measure=sql_header(text, "measure"),
                file=where,
                returns=sql_header(text, "returns").rstrip("."),
                template=text,
            )
        )
    return tuple(checks)


@cache
def _rendered(check: DataCheck, scoped: bool) -> str:
    relations = (
        {
            "executions": sql_file("checks", "scope", "written_executions").strip(),
            "tasks": sql_file("checks", "scope", "written_tasks").strip(),
        }
        if scoped
        else {"executions": "workflow_executions", "tasks": "task_executions"}
    )
    try:
        return _ENV.from_string(check.template).render(scoped=scoped, **relations)
    except jinja2.TemplateError as exc:
        raise DataCheckError(f"{check.file}: {exc}") from exc


def run_data_check(
    con: duckdb.DuckDBPyConnection,
    check: DataCheck,
    *,
    since: datetime | None = None,
    examples: int = 10,
) -> Findings:
    """Run one check over the whole warehouse, or (``since``) over the rows stamped since."""
    sql = _rendered(check, since is not None)
    params: dict[str, Any] = {}
    if "$tolerance_ms" in sql:
        params["tolerance_ms"] = TIME_TOLERANCE_MS
    if since is not None and "$since" in sql:
        params["since"] = since
    # The count first: it needs no column of the failing rows, so a passing check (the usual
    # case) reads only what its conditions read. The examples only when something failed.
    worst = f"max({check.measure})" if check.measure else "NULL"
    found = con.execute(f"SELECT count(*), {worst} FROM ({sql}\n)", params).fetchone()
    count, worst_value = (int(found[0]), found[1]) if found is not None else (0, None)
    rows: list[dict[str, Any]] = []
    if count:
        cursor = con.execute(f"SELECT * FROM ({sql}\n) LIMIT {int(examples)}", params)
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    return Findings(count=count, worst=worst_value, examples=rows)
