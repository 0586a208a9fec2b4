"""Property-based tests: whatever arrives, flattening never crashes and loses nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings

from tests.support.flatten_strategies import NOW, batches, json_values
from warehouse.flatten import MAX_TIME_MS, MIN_TIME_MS, flatten_details
from warehouse.flatten.rejections import raw_json


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_flatten_never_crashes_and_every_record_lands_exactly_once(batch: list[Any]) -> None:
    flat = flatten_details(batch, ingested_at=NOW)

    accepted_ids = flat.executions["execution_id"].to_list()
    assert len(accepted_ids) == len(set(accepted_ids))
    rejected = flat.rejected.to_dicts()
    assert all(r["reason"] for r in rejected)

    rejected_ids = [r["record_id"] for r in rejected if r["record_id"] is not None]
    rejected_payloads = {r["raw_payload"] for r in rejected if r["record_id"] is None}
    assert len(rejected_ids) == len(set(rejected_ids))
    for rec in batch:
        rec_id = rec.get("id") if isinstance(rec, dict) else None
        if isinstance(rec_id, str) and rec_id:
            # ids are unique in these batches: each lands in exactly one of the two tables
            assert (rec_id in accepted_ids) != (rec_id in rejected_ids), rec
        else:
            assert raw_json(rec) in rejected_payloads, rec
    # and nothing else was produced
    no_id = {raw_json(r) for r in batch if not _has_id(r)}
    assert flat.executions.height + flat.rejected.height == len(no_id) + sum(map(_has_id, batch))

    # task rows only belong to accepted executions, keys unique, durations never negative
    tasks = flat.task_executions
    assert set(tasks["execution_id"]) <= set(accepted_ids)
    assert tasks["task_execution_id"].is_unique().all()
    assert (tasks["duration_ms"].drop_nulls() >= 0).all()
    assert (flat.executions["duration_ms"].drop_nulls() >= 0).all()
    assert tasks["attempt"].null_count() == 0 and (tasks["attempt"] >= 1).all()
    lo = datetime.fromtimestamp(MIN_TIME_MS / 1000, UTC)
    hi = datetime.fromtimestamp(MAX_TIME_MS / 1000, UTC)
    for col in ("created_time", "start_time", "end_time"):
        values = flat.executions[col].drop_nulls()
        assert ((values >= lo) & (values < hi)).all()
    assert flat.executions["created_time"].null_count() == 0
    keys = flat.task_definitions.select("definition_hash", "task_external_id")
    assert not keys.is_duplicated().any()
    # task_count tells how many task rows each accepted execution has
    per_exec = tasks.group_by("execution_id").len()
    joined = flat.executions.join(per_exec, on="execution_id", how="left").with_columns(
        pl.col("len").fill_null(0)
    )
    assert (joined["task_count"] == joined["len"]).all()


def _has_id(rec: Any) -> bool:
    return isinstance(rec, dict) and isinstance(rec.get("id"), str) and bool(rec["id"])


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_json_value_is_either_flattened_or_rejected(value: Any) -> None:
    flat = flatten_details([value], ingested_at=NOW)
    assert flat.executions.height + flat.rejected.height == 1
