"""Analytics views as Dagster assets: one asset per `warehouse/sql/*.sql` view file.

Materialising a view asset (re)creates the views from the shipped SQL and reports each view's
row count and a preview. Lineage comes from each file's ``Depends:`` header.
"""

import re
from dataclasses import dataclass
from typing import Any

import dagster as dg

from assets.common import OWNERS, WAREHOUSE_POOL
from pipelines.resources import WarehouseResource
from warehouse.schema import quote_identifier
from warehouse.sqlfiles import view_files
from warehouse.store import Warehouse
from workflow_analytics.inspect import markdown_table

GROUP = "analytics"
_VIEW_NAME = re.compile(r"CREATE\s+OR\s+REPLACE\s+VIEW\s+([A-Za-z_][A-Za-z0-9_]*)", re.I)
_DEPENDS = re.compile(r"^--\s*depends:\s*(.+)$", re.I | re.M)
_DESCRIPTION = re.compile(r"^--\s*description:\s*(.+?)(?=^--\s*\w+:|^[^-])", re.I | re.M | re.S)


@dataclass(frozen=True)
class ViewFile:
    name: str
    file: str
    depends: tuple[str, ...]
    description: str


def parse_view_files() -> list[ViewFile]:
    views = []
    for file, text in view_files():
        match = _VIEW_NAME.search(text)
        if match is None:
            continue
        depends_match = _DEPENDS.search(text)
        depends = ()
        if depends_match:
            depends = tuple(
                d.strip(" .") for d in depends_match.group(1).split(",") if d.strip(" .")
            )
        described = _DESCRIPTION.search(text)
        description = ""
        if described:
            description = " ".join(
                line.lstrip("- ").strip() for line in described.group(1).splitlines()
            ).strip()
        views.append(ViewFile(match.group(1), file, depends, description or f"View from {file}."))
    return views


VIEWS = parse_view_files()
VIEW_KEYS = [dg.AssetKey(v.name) for v in VIEWS]


def _spec(view: ViewFile) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=view.name,
        deps=list(view.depends),
        description=view.description,
        group_name=GROUP,
        kinds={"duckdb", "sql"},
        owners=OWNERS,
        metadata={
            "sql_file": f"warehouse/sql/{view.file}",
            "dagster/table_name": f"workflows.main.{view.name}",
        },
        skippable=True,
    )


@dg.multi_asset(
    name="analytics_views",
    specs=[_spec(v) for v in VIEWS],
    can_subset=True,
    pool=WAREHOUSE_POOL,
    description="(Re)creates the analytics views in the DuckDB warehouse from warehouse/sql/.",
)
def analytics_views(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> Any:
    selected = {key.path[-1] for key in context.selected_asset_keys}
    with Warehouse(warehouse.path()) as wh:
        wh.ensure_schema()
        con = wh.connection
        for view in VIEWS:
            if view.name not in selected:
                continue
            name = quote_identifier(view.name)
            row = con.execute(f"SELECT count(*) FROM {name}").fetchone()
            cursor = con.execute(f"SELECT * FROM {name} LIMIT 10")
            columns = [d[0] for d in cursor.description]
            preview = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
            yield dg.MaterializeResult(
                asset_key=view.name,
                metadata={
                    "dagster/row_count": int(row[0]) if row else 0,
                    "preview": dg.MetadataValue.md(markdown_table(preview)),
                },
            )
