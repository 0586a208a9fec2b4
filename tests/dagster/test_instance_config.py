"""The repository's `dagster.yaml` gives the instance its local settings: the single-writer pool
limited to one step at a time, no telemetry, freshness evaluated."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg

from pipelines.definitions import defs

REPO = Path(__file__).resolve().parents[2]


def test_dagster_yaml_limits_the_warehouse_pool_and_turns_telemetry_off(tmp_path: Path) -> None:
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        pools = instance.get_concurrency_config().pool_config
        assert pools.default_pool_limit == 1
        assert pools.pool_granularity is not None and pools.pool_granularity.value == "op"
        assert instance.telemetry_enabled is False
        assert instance.freshness_enabled is True


def test_the_default_pool_limit_covers_exactly_the_warehouse_writers() -> None:
    """The file sets the default limit, not one per pool: it is the writers' limit only while
    `duckdb_warehouse` is the code location's one pool."""
    pools = {
        node_def.pool
        for job in defs.resolve_all_job_defs()
        for node_def in job.graph.node_defs
        if isinstance(node_def, dg.OpDefinition) and node_def.pool
    }
    assert pools == {"duckdb_warehouse"}
