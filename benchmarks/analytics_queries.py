"""Time every example query in docs/analytics.md and every query behind the report.

    .venv/bin/python benchmarks/analytics_queries.py --warehouse DIR [--repeat N]

Opens ``DIR/workflows.duckdb`` read-only (views are refreshed first only when it has none),
runs each query ``--repeat`` times and prints a markdown table: query, fastest wall time in
seconds, rows returned. Report queries run unfiltered (the heaviest case) with the report's
own row limits, or with the notebook's filters given as ``--project``, ``--workflow``,
``--since``, ``--until``. A query that fails is listed with its error instead of a time.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(REPO))

from workflow_analytics import report  # noqa: E402

DOCS = REPO / "docs" / "analytics.md"
_SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.S)


@dataclass(frozen=True)
class Query:
    name: str
    run: Callable[[duckdb.DuckDBPyConnection], int]


def doc_queries(path: Path = DOCS) -> list[Query]:
    """The ```sql blocks of the analytics documentation, named by their line number."""
    text = path.read_text(encoding="utf-8")
    queries = []
    for match in _SQL_BLOCK.finditer(text):
        sql = match.group(1).strip()
        line = text.count("\n", 0, match.start()) + 2

        def run(con: duckdb.DuckDBPyConnection, sql: str = sql) -> int:
            return con.sql(sql).pl().height

        queries.append(Query(f"{path.name}:{line}", run))
    return queries


def report_queries(filters: report.Filters = report.ALL) -> list[Query]:
    """Each file of warehouse/sql/report, bound as the report binds it."""
    values: dict[str, Any] = {
        **filters.params(),
        "top": report.TOP_ROWS,
        "source": "execution",
    }
    queries = []
    for name in report.report_query_names():

        def run(con: duckdb.DuckDBPyConnection, name: str = name) -> int:
            return report.run_report_query(con, name, values).height

        queries.append(Query(f"report/{name}.sql", run))
    return queries


def fastest(con: duckdb.DuckDBPyConnection, query: Query, repeat: int) -> tuple[float, int]:
    best = float("inf")
    rows = 0
    for _ in range(repeat):
        started = time.perf_counter()
        rows = query.run(con)
        best = min(best, time.perf_counter() - started)
    return best, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="WAREHOUSE_DIR to query")
    parser.add_argument("--repeat", type=int, default=5, help="runs per query (fastest counts)")
    parser.add_argument("--project", help="report queries: only this project")
    parser.add_argument("--workflow", help="report queries: only this workflow")
    parser.add_argument("--since", type=date.fromisoformat, help="report queries: first day")
    parser.add_argument("--until", type=date.fromisoformat, help="report queries: last day")
    args = parser.parse_args(argv)
    filters = report.Filters(args.project, args.workflow, args.since, args.until)
    database = args.warehouse / report.DATABASE_FILE
    if not database.is_file():
        parser.error(f"no warehouse at {database}")
    con = duckdb.connect(str(database), read_only=True)
    if not report._has_view(con, "execution_facts"):
        con.close()
        report.refresh_views(args.warehouse)
        con = duckdb.connect(str(database), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    executions = con.sql("SELECT count(*) FROM workflow_executions").fetchall()[0][0]
    shown = filters.describe() or "report queries unfiltered"
    print(f"{executions:,} executions in {database}; fastest of {args.repeat} runs; {shown}\n")
    print("| query | seconds | rows |")
    print("|---|---:|---:|")
    slowest = 0.0
    for query in doc_queries() + report_queries(filters):
        try:
            seconds, rows = fastest(con, query, args.repeat)
        except duckdb.Error as exc:
            first_line = str(exc).splitlines()[0]
            print(f"| {query.name} | error: {first_line} | |")
            continue
        slowest = max(slowest, seconds)
        print(f"| {query.name} | {seconds:.3f} | {rows:,} |")
    con.close()
    print(f"\nslowest: {slowest:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
