"""Analytics views as Dagster assets: one asset per `warehouse/sql/*.sql` view file.

Materialising a view asset (re)creates the views from the shipped SQL and reports each view's
columns, and its row count and a preview when computing them fits a memory budget (see
`warehouse.inspection.view_summary`). Lineage comes from each file's ``Depends:`` header.
"""

import re
from dataclasses import dataclass
from typing import Any

import dagster as dg

from assets.common import OWNERS, WAREHOUSE_POOL, markdown_table
from assets.resources import WarehouseResource
from assets.view_columns import column_descriptions
from warehouse.inspection import view_summary
from warehouse.schema import EXPORTED_TABLES
from warehouse.sla_targets import SlaTargetsError, install_sla, sla_view_files
from warehouse.sqlfiles import sql_header, view_files

GROUP = "analytics"
_VIEW_NAME = re.compile(r"CREATE\s+OR\s+REPLACE\s+VIEW\s+([A-Za-z_][A-Za-z0-9_]*)", re.I)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class ViewFile:
    name: str
    file: str
    depends: tuple[str, ...]
    description: str
    # SLA views read the analysts' targets file (loaded into `sla_targets` first).
    sla: bool = False


def parse_view_files() -> list[ViewFile]:
    views = []
    files = [(f, t, False) for f, t in view_files()]
    files += [(f"sla/{f}", t, True) for f, t in sla_view_files()]
    for file, text, sla in files:
        match = _VIEW_NAME.search(text)
        if match is None:
            continue
        # "name (a note)" -> name; only real table/view names become lineage.
        names = (_IDENT.match(d.strip()) for d in sql_header(text, "depends").split(","))
        depends = tuple(m.group(0) for m in names if m)
        description = sql_header(text, "description")
        views.append(
            ViewFile(match.group(1), file, depends, description or f"View from {file}.", sla)
        )
    return views


def _known_lineage(views: list[ViewFile]) -> list[ViewFile]:
    """Keep only dependencies that are assets here (tables and views), not helper tables."""
    known = {t.name for t in EXPORTED_TABLES}
    known |= {v.name for v in views}
    return [
        ViewFile(v.name, v.file, tuple(d for d in v.depends if d in known), v.description, v.sla)
        for v in views
    ]


VIEWS = _known_lineage(parse_view_files())
VIEW_KEYS = [dg.AssetKey(v.name) for v in VIEWS]
VIEW_DEPENDS = {v.name: v.depends for v in VIEWS}


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
    with warehouse.open() as wh:
        wh.ensure_schema()
        con = wh.connection
        sla_error: str | None = None
        if any(v.sla and v.name in selected for v in VIEWS):
            try:
                targets = install_sla(con, warehouse.settings().sla_targets_file)
                context.log.info(f"loaded {targets} SLA target rows")
            except SlaTargetsError as exc:
                sla_error = str(exc)
        for view in VIEWS:
            if view.name not in selected or (view.sla and sla_error):
                continue
            summary = view_summary(con, view.name, wh.memory_limit)
            described = column_descriptions(
                view.name, [n for n, _ in summary.columns], VIEW_DEPENDS
            )
            columns = [
                dg.TableColumn(n, t, description=described.get(n)) for n, t in summary.columns
            ]
            metadata: dict[str, Any] = {"dagster/column_schema": dg.TableSchema(columns=columns)}
            if summary.skipped is None:
                metadata["dagster/row_count"] = summary.row_count
                metadata["preview"] = dg.MetadataValue.md(markdown_table(summary.preview))
            else:
                context.log.warning(f"{view.name}: no row count or preview: {summary.skipped}")
                metadata["preview"] = dg.MetadataValue.md(f"_not computed: {summary.skipped}_")
            yield dg.MaterializeResult(asset_key=view.name, metadata=metadata)
    if sla_error:
        # The other views are already materialised; the SLA views wait for a fixed file.
        raise dg.Failure(description=f"SLA targets file: {sla_error}", allow_retries=False)
