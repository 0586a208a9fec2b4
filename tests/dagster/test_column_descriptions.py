"""Every column of the tables the pipeline writes carries a description in Dagster's UI, and the
column schema the UI shows is the one DuckDB holds."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from assets.alerts import ALERTS_ASSET
from assets.ingest import INGEST_TABLE_KEYS
from assets.view_columns import column_descriptions, documented_columns
from assets.views import MODEL_DEPENDS, MODELS
from ingest.settings import DEFAULT_SLA_TARGETS_FILE
from pipelines.definitions import defs
from warehouse.alerts import ensure_alerts_table
from warehouse.sla_targets import install_sla
from warehouse.store import Warehouse

WRITTEN_TABLES = [*INGEST_TABLE_KEYS, dg.AssetKey(ALERTS_ASSET)]


def _schema(key: dg.AssetKey) -> dg.TableSchema:
    schema = defs.resolve_asset_graph().get(key).metadata.get("dagster/column_schema")
    assert isinstance(schema, dg.TableSchema), f"{key.to_user_string()} has no column schema"
    return schema


@pytest.mark.parametrize("key", WRITTEN_TABLES, ids=lambda k: k.to_user_string())
def test_every_column_has_a_description(key: dg.AssetKey) -> None:
    schema = _schema(key)
    assert schema.columns
    undescribed = [c.name for c in schema.columns if not (c.description or "").strip()]
    assert not undescribed, f"{key.to_user_string()}: no description for {undescribed}"


def test_column_schemas_match_the_stored_tables(tmp_path: Path) -> None:
    with Warehouse(tmp_path) as wh:
        wh.ensure_schema(views=False)
        ensure_alerts_table(wh.connection)
        for key in WRITTEN_TABLES:
            node = defs.resolve_asset_graph().get(key)
            table = str(node.metadata["dagster/table_name"]).rsplit(".", 1)[-1]
            stored = wh.connection.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = ? ORDER BY ordinal_position",
                [table],
            ).fetchall()
            assert [c.name for c in _schema(key).columns] == [n for (n,) in stored], table


def test_every_check_says_its_severity_and_what_its_results_mean() -> None:
    graph = defs.resolve_asset_graph()
    assert graph.asset_check_keys
    for key in graph.asset_check_keys:
        spec = graph.get_check_spec(key)
        assert spec.description, key.to_user_string()
        assert spec.metadata.get("severity") in ("WARN", "ERROR"), key.to_user_string()
        lines = str(spec.metadata["result_metadata"].value).splitlines()
        cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
        assert cells[0] == ["metadata", "meaning"], key.to_user_string()
        rows = cells[2:]
        assert rows and all(len(r) == 2 and all(r) for r in rows), key.to_user_string()


def test_every_view_column_is_described_by_the_analytics_reference(tmp_path: Path) -> None:
    """docs/analytics.md (or, for a shared key, an upstream view or table) describes every column
    of every analytics view, so the UI never shows one bare."""
    with Warehouse(tmp_path) as wh:
        wh.ensure_schema()
        install_sla(wh.connection, DEFAULT_SLA_TARGETS_FILE)
        for view in MODELS:
            columns = [
                name
                for name, *_ in wh.connection.execute(
                    f"DESCRIBE SELECT * FROM {view.name}"
                ).fetchall()
            ]
            described = column_descriptions(view.name, columns, MODEL_DEPENDS)
            assert columns
            assert [c for c in columns if not described.get(c, "").strip()] == [], view.name


def test_a_view_column_without_its_own_row_takes_its_upstream_description() -> None:
    text = "## `a`\n\n| column | definition |\n|---|---|\n| `x`, `y` | the x and y |\n\n## `b`\n"
    assert documented_columns(text) == {"a": {"x": "the x and y", "y": "the x and y"}, "b": {}}
    described = column_descriptions("task_retries", ["attempts", "cdf_project"], MODEL_DEPENDS)
    assert described["attempts"].startswith("rows of this task in the execution")
    assert described["cdf_project"]  # from the ingested tables' declaration
