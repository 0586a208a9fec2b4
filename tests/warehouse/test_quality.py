"""Source anomalies are stored and flagged; task keys; parents inferred for unlinked children."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from tests.support.detail_records import execution, ms, task_definition, task_execution
from warehouse.analytics.build import build_models
from warehouse.flatten import FlatBatch, flatten_details
from warehouse.quality import (
    FLAGS,
    MAX_INPUT_BYTES,
    MAX_METADATA_PAIRS,
    MAX_TASK_PAYLOAD_BYTES,
    MAX_TASKS,
)
from warehouse.sqlfiles import store_sql
from warehouse.store import Warehouse
from warehouse.task_keys import task_key_patterns, task_keys

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
T0 = ms("2024-05-01T10:00:00")

# Ids as generators write them; the first three are from a capture of a live CDF project.
REAL_SHAPED = {
    "generate_test_matrix_03d5de1e-01a7-4de9-9f70-302b85d682a3": "generate_test_matrix",
    "preprocessor-1_1513aeee-04cf-43af-838c-c2e4323b3638": "preprocessor",
    "trigger_3ace0bf8-9dbc-44cc-a937-cd1b775c02fc": "trigger",
    "load_a1b2c3d4e5f6": "load",
    "shard_12": "shard",
    "shard-3": "shard",
    "export.9f86d081884c7d65": "export",
    "stage_deadbeef": "stage_deadbeef",  # hex letters only: a word, not an id
    "v2": "v2",
    "task_1_2": "task_1",
    "03d5de1e-01a7-4de9-9f70-302b85d682a3": "03d5de1e-01a7-4de9-9f70-302b85d682a3",
    "_12": "_12",
}


def column_map(frame: pl.DataFrame, key: str, value: str) -> dict[object, object]:
    return dict(zip(frame[key].to_list(), frame[value].to_list(), strict=True))


def flat(*records: object) -> FlatBatch:
    return flatten_details(list(records), ingested_at=NOW)


def test_task_key_rule_on_real_shaped_ids() -> None:
    assert task_keys(list(REAL_SHAPED)) == list(REAL_SHAPED.values())


def test_task_key_rule_in_sql_equals_the_polars_rule(tmp_path: Path) -> None:
    # The shipped upgrade SQL, on rows of an execution whose definition is unknown.
    with Warehouse(tmp_path) as wh:
        wh.ensure_schema(views=False)
        con = wh.connection
        con.execute(
            "INSERT INTO task_executions (cdf_project, task_execution_id, execution_id, "
            "task_external_id) SELECT 'p', x, 'e', x FROM (SELECT unnest($ids) AS x)",
            {"ids": list(REAL_SHAPED)},
        )
        con.execute(store_sql("backfill_task_keys"), task_key_patterns())
        rows = dict(
            con.execute("SELECT task_external_id, task_key FROM task_executions").fetchall()
        )
    assert rows == REAL_SHAPED


def test_defined_tasks_keep_their_external_id_as_key() -> None:
    rec = execution(
        definitions=[task_definition("stage_2"), task_definition("fan", task_type="dynamic")],
        tasks=[
            task_execution("stage_2", start=T0, end=T0 + 5),
            task_execution("fan", task_type="dynamic", start=T0 + 5, end=T0 + 6),
            task_execution("job_7", start=T0 + 10, end=T0 + 20),
        ],
    )
    keys = dict(flat(rec).task_executions.select("task_external_id", "task_key").iter_rows())
    assert keys == {"stage_2": "stage_2", "fan": "fan", "job_7": "job"}


def _fan_out(children: list[dict[str, object]]) -> dict[str, object]:
    return execution(
        start=T0,
        end=T0 + 1000,
        definitions=[
            task_definition("first", task_type="dynamic"),
            task_definition("second", task_type="dynamic", depends_on=["first"]),
        ],
        tasks=[
            task_execution("first", task_type="dynamic", start=T0 + 10, end=T0 + 20),
            task_execution("second", task_type="dynamic", start=T0 + 300, end=T0 + 301),
            *children,
        ],
    )


def _parents(batch: FlatBatch) -> dict[str, tuple[str | None, bool]]:
    rows = batch.task_executions.select(
        "task_external_id", "parent_task_external_id", "parent_inferred"
    ).iter_rows()
    return {x: (p, i) for x, p, i in rows}


def test_children_without_parent_belong_to_the_dispatcher_that_finished_last_before_them() -> None:
    batch = flat(
        _fan_out(
            [
                task_execution("a_1", start=T0 + 20, end=T0 + 200),  # at the end of `first`
                task_execution("b_1", start=T0 + 302, end=T0 + 400),  # after `second`
                task_execution("c_1", start=T0 + 301, end=T0 + 400, parent="first"),  # as sent
                task_execution("d_1", start=T0 + 5, end=T0 + 9),  # before any dispatcher
                task_execution("e_1", status="SCHEDULED"),  # start unknown
            ]
        )
    )
    assert _parents(batch) == {
        "first": (None, False),
        "second": (None, False),
        "a_1": ("first", True),
        "b_1": ("second", True),
        "c_1": ("first", False),
        "d_1": (None, False),
        "e_1": (None, False),
    }
    flags = column_map(batch.task_executions, "task_external_id", "quality_flags")
    assert flags["a_1"] == ["parent_inferred"] and flags["c_1"] == []
    assert batch.task_executions.filter(pl.col("task_external_id") == "b_1")["is_child"][0]
    assert "parent_inferred" in batch.executions["quality_flags"].to_list()[0]


def test_inference_ties_and_dispatchers_still_running() -> None:
    rec = execution(
        start=T0,
        end=T0 + 1000,
        definitions=[task_definition(x, task_type="dynamic") for x in ("p", "q", "r")],
        tasks=[
            # p and q finish at the same moment: q started later and wins.
            task_execution("p", task_type="dynamic", start=T0, end=T0 + 50),
            task_execution("q", task_type="dynamic", start=T0 + 10, end=T0 + 50),
            task_execution("x_1", start=T0 + 60, end=T0 + 70),
            # r is still dispatching when y starts, and nothing else finished after q: q wins;
            # before q finished, only running dispatchers: the last started (r) wins.
            task_execution("r", task_type="dynamic", start=T0 + 20, end=T0 + 900),
            task_execution("y_1", start=T0 + 80, end=T0 + 90),
            task_execution("z_1", start=T0 + 30, end=T0 + 40),
        ],
    )
    parents = _parents(flat(rec))
    assert parents["x_1"] == ("q", True)
    assert parents["y_1"] == ("q", True)
    assert parents["z_1"] == ("r", True)


def test_clock_skew_is_stored_and_flagged() -> None:
    rec = execution(
        created=T0,
        start=T0 - 86,  # as in the live capture
        end=T0 + 1000,
        definitions=[task_definition("a"), task_definition("b"), task_definition("c")],
        tasks=[
            task_execution("a", start=T0 - 100, end=T0 + 10),
            task_execution("b", start=T0 + 900, end=T0 + 1003),
            task_execution("c", start=T0 + 500, end=T0 + 400),
        ],
    )
    batch = flat(rec)
    assert batch.rejected.height == 0
    flags = column_map(batch.task_executions, "task_external_id", "quality_flags")
    assert flags == {
        "a": ["task_before_execution_start"],
        "b": ["task_after_execution_end"],
        "c": ["end_before_start"],
    }
    assert batch.executions["quality_flags"].to_list()[0] == [
        "end_before_start",
        "start_before_created",
        "task_after_execution_end",
        "task_before_execution_start",
    ]


def _blob(size: int) -> dict[str, str]:
    return {"blob": "x" * (size - len('{"blob":""}'))}


def test_records_over_documented_limits_are_stored_and_flagged() -> None:
    # 201 distinct tasks; a retry shown as a second row does not count twice.
    many = [task_execution(f"t{i}", task_id=f"m{i}") for i in range(MAX_TASKS + 1)]
    retried = [task_execution(f"t{i}", task_id=f"r{i}") for i in range(MAX_TASKS)]
    retried.append(task_execution("t0", task_id="r-again"))
    records = [
        execution(execution_id="many", tasks=many),
        execution(execution_id="retried", tasks=retried),
        execution(
            execution_id="meta", metadata={f"k{i}": "v" for i in range(MAX_METADATA_PAIRS + 1)}
        ),
        execution(execution_id="input", input=_blob(MAX_INPUT_BYTES + 1)),
        execution(
            execution_id="output",
            tasks=[task_execution("big", task_id="big", output=_blob(MAX_TASK_PAYLOAD_BYTES + 1))],
        ),
        execution(execution_id="at-limit", input=_blob(MAX_INPUT_BYTES)),
    ]
    batch = flat(*records)
    assert batch.rejected.height == 0
    flags = column_map(batch.executions, "execution_id", "quality_flags")
    assert flags == {
        "many": ["over_task_limit"],
        "retried": [],
        "meta": ["over_metadata_limit"],
        "input": ["payload_over_limit"],
        "output": ["payload_over_limit"],
        "at-limit": [],
    }
    big = batch.task_executions.filter(pl.col("task_execution_id") == "big")
    assert big["quality_flags"].to_list()[0] == ["payload_over_limit"]


def test_execution_facts_counts_distinct_tasks_like_the_task_limit_flag(tmp_path: Path) -> None:
    def tasks(run: str, extra: int) -> list[dict[str, object]]:
        # Retries shown as rows, listed before and after their first row: one task each.
        rows = [
            task_execution(f"t{i}", task_id=f"{run}{i}", start=T0 + 10 * i)
            for i in range(MAX_TASKS + extra)
        ]
        rows.insert(0, task_execution("t5", task_id=f"{run}-again", start=T0 + 99))
        rows.append(task_execution("t0", task_id=f"{run}-late"))
        return rows

    records = [
        execution(execution_id="at-cap", tasks=tasks("a", 0)),
        execution(execution_id="over-cap", tasks=tasks("o", 1)),
    ]
    with Warehouse(tmp_path) as wh:
        wh.ensure_schema()
        wh.apply_batch(flat(*records))
        build_models(wh.connection)
        got = wh.connection.execute(
            "SELECT execution_id, task_rows, distinct_tasks, "
            "list_contains(quality_flags, 'over_task_limit') FROM execution_facts"
        ).fetchall()
    assert sorted(got) == [
        ("at-cap", MAX_TASKS + 2, MAX_TASKS, False),
        ("over-cap", MAX_TASKS + 3, MAX_TASKS + 1, True),
    ]


def test_an_older_warehouse_gains_the_columns_and_its_task_keys(tmp_path: Path) -> None:
    rec = execution(
        execution_id="old",
        definitions=[task_definition("prepare_1")],
        tasks=[
            task_execution("prepare_1", task_id="t1", start=T0, end=T0 + 1),
            task_execution("gen_8c11940d-ef66-4eb3-afe8-a3923e9e1625", task_id="t2"),
        ],
    )
    with Warehouse(tmp_path) as wh:
        wh.ensure_schema(views=False)
        wh.apply_batch(flat(rec))
        wh.flush()
        for column in ("task_key", "parent_inferred", "quality_flags"):
            wh.connection.execute(f"ALTER TABLE task_executions DROP COLUMN {column}")
        wh.connection.execute("ALTER TABLE workflow_executions DROP COLUMN quality_flags")
    with Warehouse(tmp_path) as wh:
        upgraded = wh.ensure_schema(views=False)
        assert {"task_executions", "workflow_executions"} <= set(upgraded)
        keys = dict(
            wh.connection.execute(
                "SELECT task_execution_id, task_key FROM task_executions"
            ).fetchall()
        )
        assert keys == {"t1": "prepare_1", "t2": "gen"}
        wh.flush()
        pq = wh.connection.execute(
            "SELECT count(*) FROM read_parquet($p, hive_partitioning = true) "
            "WHERE task_key = 'gen'",
            {"p": str(tmp_path / "parquet" / "task_executions" / "*" / "*.parquet")},
        ).fetchone()
        assert pq == (1,)


@pytest.mark.parametrize("fast", [True, False])
def test_both_decode_paths_flag_alike(fast: bool) -> None:
    import orjson

    from warehouse.wire import DetailAnswer

    rec = _fan_out([task_execution("a_1", task_id="a1", start=T0 + 20, end=T0 + 1200)])
    record = DetailAnswer(rec["id"], orjson.dumps(rec)) if fast else rec
    batch = flat(record)
    row = batch.task_executions.filter(pl.col("task_execution_id") == "a1").to_dicts()[0]
    assert (row["parent_task_external_id"], row["task_key"]) == ("first", "a")
    assert row["quality_flags"] == ["task_after_execution_end", "parent_inferred"]


def test_trigger_fire_time_is_range_checked_like_execution_times() -> None:
    from warehouse.trigger_tables import flatten_trigger_runs

    runs, rejected = flatten_trigger_runs(
        [
            {"externalId": "t", "fireTime": 1, "status": "success"},  # the API reference's value
            {"externalId": "t", "fireTime": T0, "status": "success"},
        ],
        ingested_at=NOW,
    )
    assert runs.height == 1
    assert rejected["reason"].to_list() == ["trigger run fireTime 1 is outside years 2000..2099"]


def test_docs_list_every_flag_the_flattener_sets() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "warehouse.md").read_text(encoding="utf-8")
    table = docs.split("## Source anomalies: `quality_flags`", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([a-z_]+)` \|", table, re.M)
    assert sorted(documented) == sorted(FLAGS)
