"""The analytics models as Dagster assets: one asset per model in `warehouse/sql/models/`.

Materialising them runs the analytics build in-process (`warehouse.analytics.build`): views are
(re)created, and each incremental model's table is recomputed only for the executions written
since the last build, or whole on its first build, after its definition changed, or when the
run asks for a full refresh (`full_refresh: true` in the op's config, or
`workflow-analytics ingest --full-refresh`). Lineage comes from the models' `ref`/`source`
calls. Each asset reports its columns and how it was built, and a table its row count and a
preview (a view's rows are computed when it is queried, so the nightly run does not count them).
"""

from collections.abc import Iterator
from typing import Any

import dagster as dg
import duckdb

from assets.checks import BLOCKING_INGEST_CHECKS
from assets.common import (
    CHECKED_SINCE_KEY,
    INGEST_CHECKS_STEP,
    OWNERS,
    WAREHOUSE_POOL,
    ingest_wrote_in_this_run,
    markdown_table,
    step_start,
)
from assets.resources import WarehouseResource
from assets.view_columns import column_descriptions
from warehouse.analytics.build import BuildReport, ModelBuild, build_models
from warehouse.analytics.models import Model, load_models
from warehouse.errors import duckdb_failure
from warehouse.inspection import relation_columns, table_preview
from warehouse.schema import EXPORTED_TABLES
from warehouse.sla_targets import SlaTargetsError, install_sla
from warehouse.store import ANALYTICS_DUCKDB_MEMORY, CHECKPOINT_DUCKDB_MEMORY

GROUP = "analytics"

MODELS = load_models()
MODEL_KEYS = [dg.AssetKey(m.name) for m in MODELS]
# Upstream assets of each model: the models and ingested tables it reads (the build's own
# bookkeeping and the SLA targets file are not assets).
_ASSETS = {t.name for t in EXPORTED_TABLES} | {m.name for m in MODELS}
MODEL_DEPENDS = {m.name: tuple(d for d in m.depends if d in _ASSETS) for m in MODELS}


def _reading_sla_targets() -> set[str]:
    found: set[str] = set()
    for model in MODELS:  # build order: a model's refs come before it
        if "sla_targets" in model.sources or found.intersection(model.refs):
            found.add(model.name)
    return found


# The models that wait for a readable SLA targets file.
SLA_MODELS = _reading_sla_targets()


class AnalyticsConfig(dg.Config):
    full_refresh: bool = False
    """Rebuild every incremental model whole from its definition (after editing a model's SQL
    the build notices by itself; this is for when the stored tables are in doubt)."""


def _spec(model: Model) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=model.name,
        deps=list(MODEL_DEPENDS[model.name]),
        description=model.description,
        group_name=GROUP,
        kinds={"duckdb", "sql", "table" if model.incremental else "view"},
        owners=OWNERS,
        metadata={
            "sql_file": f"warehouse/sql/{model.file}",
            "materialized": model.materialized,
            **({"unique_key": ", ".join(model.unique_key)} if model.incremental else {}),
            "dagster/table_name": f"workflows.main.{model.name}",
        },
        skippable=True,
    )


def _build_metadata(built: ModelBuild) -> dict[str, Any]:
    metadata: dict[str, Any] = {"build": built.mode}
    if built.mode != "view":
        metadata["build_seconds"] = round(built.seconds, 3)
    if built.scope is not None:
        metadata["executions_recomputed"] = built.scope
    return metadata


def _model_metadata(con: Any, model: Model, report: BuildReport) -> dict[str, Any]:
    built = report.by_name()[model.name]
    metadata = _build_metadata(built)
    if model.incremental:
        columns, preview = table_preview(con, model.name)
        metadata["dagster/row_count"] = built.row_count
        metadata["preview"] = dg.MetadataValue.md(markdown_table(preview))
    else:
        # A view is computed when it is queried; counting its rows here would compute it over
        # the whole history every night.
        columns = relation_columns(con, model.name)
    described = column_descriptions(model.name, [n for n, _ in columns], MODEL_DEPENDS)
    metadata["dagster/column_schema"] = dg.TableSchema(
        columns=[dg.TableColumn(n, t, description=described.get(n)) for n, t in columns]
    )
    return metadata


def _blocking_checks_passed(context: dg.AssetExecutionContext) -> bool:
    """This run evaluated every blocking check on the ingest's tables, and each passed."""
    passed = set()
    for entry in context.instance.all_logs(
        context.run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ):
        evaluation = entry.dagster_event.event_specific_data if entry.dagster_event else None
        if evaluation is not None and evaluation.passed:
            passed.add(evaluation.check_name)
    return passed >= BLOCKING_INGEST_CHECKS


@dg.multi_asset(
    name="analytics_views",
    specs=[_spec(m) for m in MODELS],
    can_subset=True,
    pool=WAREHOUSE_POOL,
    description="Builds the analytics models in the DuckDB warehouse from warehouse/sql/models/.",
)
def analytics_views(
    context: dg.AssetExecutionContext, config: AnalyticsConfig, warehouse: WarehouseResource
) -> Any:
    try:
        yield from _build(context, config, warehouse)
    except duckdb.Error as exc:
        # As in the ingest: the warehouse's own failure (its memory cap, a full disk) happens
        # again on a retry; one line that says what to change. A failure inside build_models
        # rolled the build back: its executions stay pending.
        raise dg.Failure(description=duckdb_failure(exc), allow_retries=False) from exc


def _build(
    context: dg.AssetExecutionContext, config: AnalyticsConfig, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    selected = {key.path[-1] for key in context.selected_asset_keys}
    with warehouse.open(memory_limit=ANALYTICS_DUCKDB_MEMORY) as wh:
        wh.ensure_schema()
        con = wh.connection
        sla_error: str | None = None
        try:
            targets = install_sla(con, warehouse.settings().sla_targets_file)
            context.log.info(f"loaded {targets} SLA target rows")
        except SlaTargetsError as exc:
            sla_error = str(exc)
        # The incremental tables are built together whatever the selection: one reads another,
        # and the list of executions to recompute is consumed once for all of them.
        report = build_models(con, full_refresh=config.full_refresh)
        # The tables kept per execution go to the Parquet tree too (the days this build changed).
        flushed = wh.flush()
        checks_start = step_start(context, INGEST_CHECKS_STEP)
        if (
            checks_start is not None
            and ingest_wrote_in_this_run(context)
            and _blocking_checks_passed(context)
        ):
            # Every row stamped before this run's checks opened the warehouse was checked by
            # them (this run's ingest included): the next run's checks start there.
            wh.write_state({CHECKED_SINCE_KEY: checks_start})
        rebuilt = [m.name for m in report.models if m.mode == "full"]
        context.log.info(
            f"analytics build: {report.pending} pending execution identities, "
            f"{len(rebuilt)} models rebuilt whole{': ' + ', '.join(rebuilt) if rebuilt else ''}; "
            f"{flushed.written} Parquet partitions written"
        )
        for model in MODELS:
            if model.name not in selected or (sla_error and model.name in SLA_MODELS):
                continue
            metadata = _model_metadata(con, model, report)
            yield dg.MaterializeResult(asset_key=model.name, metadata=metadata)
        if warehouse.settings().duckdb_memory is None:
            # Written into the file here rather than at close, under a lower cap (see
            # CHECKPOINT_DUCKDB_MEMORY); an operator's own cap is left as it is.
            wh.checkpoint(CHECKPOINT_DUCKDB_MEMORY)
    if sla_error:
        # The other models are already materialised; the SLA views wait for a fixed file.
        raise dg.Failure(description=f"SLA targets file: {sla_error}", allow_retries=False)
