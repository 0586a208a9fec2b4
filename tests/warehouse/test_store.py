from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ingest.settings import WarehouseSettings
from tests.support.detail_records import (
    execution,
    ms,
    synthetic_details,
    task_definition,
    task_execution,
)
from tests.support.parquet import NOW, assert_parquet_matches, partition_dates
from warehouse.flatten import FlatBatch, flatten_details
from warehouse.parquet import flush_dirty_partitions
from warehouse.schema import ALL_TABLES
from warehouse.store import INGEST_DUCKDB_MEMORY, Warehouse

T0 = ms("2024-05-01T10:00:00")
DAY = 86_400_000


def batch_of(*records: object, at=NOW) -> FlatBatch:
    return flatten_details(list(records), ingested_at=at)


def snapshot(wh: Warehouse) -> dict[str, pl.DataFrame]:
    return {t.name: wh.frame(t.name) for t in ALL_TABLES}


def assert_same(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].equals(b[name]), name


def running_then_finished() -> tuple[dict, dict]:
    tasks_running = [
        task_execution("a", status="COMPLETED", start=T0, end=T0 + 10, task_id="ta"),
        task_execution("b", status="IN_PROGRESS", start=T0 + 10, task_id="tb"),
        task_execution("c", status="SCHEDULED", task_id="tc-old"),
    ]
    running = execution(
        execution_id="e1", status="RUNNING", created=T0, start=T0 + 1, tasks=tasks_running
    )
    tasks_done = [
        task_execution("a", status="COMPLETED", start=T0, end=T0 + 10, task_id="ta"),
        task_execution(
            "b", status="FAILED", start=T0 + 10, end=T0 + 50, task_id="tb", reason="boom"
        ),
    ]
    finished = execution(
        execution_id="e1",
        status="FAILED",
        created=T0,
        start=T0 + 1,
        end=T0 + 60,
        tasks=tasks_done,
        reason="task b failed",
    )
    return running, finished


def test_ensure_schema_is_idempotent_and_matches_the_declarations(wh: Warehouse) -> None:
    wh.ensure_schema(views=False)
    for table in ALL_TABLES:
        described = wh.connection.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = $1 ORDER BY ordinal_position",
            [table.name],
        ).fetchall()
        declared = [(c.name, c.duckdb_type) for c in table.stored_columns]
        normalised = [
            (n, t.replace("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ")) for n, t in described
        ]
        assert normalised == declared, table.name


def test_ensure_schema_adds_columns_missing_from_an_older_file(tmp_path: Path) -> None:
    with Warehouse(tmp_path) as wh:
        wh.connection.execute("CREATE TABLE workflow_executions (execution_id VARCHAR PRIMARY KEY)")
        wh.connection.execute("INSERT INTO workflow_executions VALUES ('old')")
        wh.ensure_schema(views=False)
        row = wh.frame("workflow_executions").to_dicts()[0]
        assert row["execution_id"] == "old" and row["status"] is None
        wh.apply_batch(batch_of(execution(execution_id="new")))
        assert wh.counts()["workflow_executions"] == 2


def test_running_execution_that_finishes_replaces_its_row_and_task_rows(wh: Warehouse) -> None:
    running, finished = running_then_finished()
    first = wh.apply_batch(batch_of(running))
    assert (first.inserted, first.updated, first.task_rows) == (1, 0, 3)
    assert wh.open_execution_ids() == ["e1"]
    wh.flush()
    assert_parquet_matches(wh)

    later = NOW + timedelta(hours=1)
    second = wh.apply_batch(batch_of(finished, at=later))
    assert (second.inserted, second.updated, second.task_rows) == (0, 1, 2)
    executions = wh.frame("workflow_executions").to_dicts()
    assert len(executions) == 1
    assert executions[0]["status"] == "FAILED"
    assert executions[0]["duration_ms"] == 59
    assert executions[0]["reason_for_incompletion"] == "task b failed"
    assert executions[0]["ingested_at"] == later
    tasks = wh.frame("task_executions")
    assert tasks["task_execution_id"].to_list() == ["ta", "tb"]  # tc-old vanished
    assert tasks.filter(pl.col("task_execution_id") == "tb")["status"][0] == "FAILED"
    assert wh.open_execution_ids() == []
    summary = wh.summaries(["e1", "unknown"])
    assert list(summary) == ["e1"]
    assert (summary["e1"].status, summary["e1"].end_time_ms) == ("FAILED", T0 + 60)
    assert summary["e1"].task_count == 2
    wh.flush()
    assert_parquet_matches(wh)


def test_a_task_id_another_execution_also_sends_is_kept_under_both(wh: Warehouse) -> None:
    # An odd source: a later detail sends a stored task id under another execution, on another
    # day. Both runs happened: each keeps its row, in its own day's Parquet partition.
    first = execution(
        execution_id="e1",
        status="COMPLETED",
        created=T0,
        tasks=[
            task_execution("a", status="COMPLETED", task_id="shared"),
            task_execution("b", status="COMPLETED", task_id="own"),
        ],
    )
    wh.apply_batch(batch_of(first))
    wh.flush()
    second = execution(
        execution_id="e2",
        status="COMPLETED",
        created=T0 + 3 * DAY,
        tasks=[task_execution("a", status="FAILED", task_id="shared")],
    )
    wh.apply_batch(batch_of(second, at=NOW + timedelta(hours=1)))
    tasks = wh.frame("task_executions").sort("task_execution_id")
    assert tasks.sort("task_execution_id", "execution_id").select(
        "task_execution_id", "execution_id", "status"
    ).rows() == [
        ("own", "e1", "COMPLETED"),
        ("shared", "e1", "COMPLETED"),
        ("shared", "e2", "FAILED"),
    ]
    wh.flush()
    assert_parquet_matches(wh)
    # A later detail of e1 replaces e1's rows only.
    wh.apply_batch(batch_of(first, at=NOW + timedelta(hours=2)))
    again = wh.frame("task_executions").sort("task_execution_id", "execution_id")
    assert again.select("task_execution_id", "execution_id").rows() == [
        ("own", "e1"),
        ("shared", "e1"),
        ("shared", "e2"),
    ]


def test_reapplying_a_batch_gives_identical_tables_and_parquet(wh: Warehouse) -> None:
    records = synthetic_details(30, tasks_per_execution=5, seed=3)
    records.append({"id": "broken"})
    batch = batch_of(*records)
    wh.apply_batch(batch, {"hwm": 1})
    wh.flush()
    before = snapshot(wh)
    files_before = sorted(p.relative_to(wh.parquet_root) for p in wh.parquet_root.rglob("*"))
    again = wh.apply_batch(batch, {"hwm": 1})
    assert (again.inserted, again.updated, again.rejected, again.definitions) == (0, 30, 0, 0)
    wh.flush()
    after = snapshot(wh)
    # The run stamps: when rows were written, and the rewritten files' size and time.
    stamps = ("updated_at", "file_bytes", "file_version")
    assert_same(
        {k: v.drop(stamps, strict=False) for k, v in before.items()},
        {k: v.drop(stamps, strict=False) for k, v in after.items()},
    )
    files_after = sorted(p.relative_to(wh.parquet_root) for p in wh.parquet_root.rglob("*"))
    assert files_after == files_before
    assert_parquet_matches(wh)


def _break_rejected(batch: FlatBatch) -> FlatBatch:
    # raw_payload is a JSON column: text that is not JSON fails inside DuckDB, late in the
    # transaction (after executions, tasks and definitions were written).
    bad = batch.rejected.with_columns(raw_payload=pl.lit("{not json"))
    return replace(batch, rejected=bad)


@pytest.mark.parametrize("failure", ["duckdb_error_mid_batch", "state_not_serialisable"])
def test_a_failing_batch_leaves_the_warehouse_as_it_was(wh: Warehouse, failure: str) -> None:
    running, finished = running_then_finished()
    wh.apply_batch(batch_of(running), {"hwm": 10})
    wh.flush()
    before = snapshot(wh)

    new = execution(execution_id="e2", created=T0 + 5 * DAY)
    if failure == "duckdb_error_mid_batch":
        batch = _break_rejected(batch_of(finished, new, {"id": "bad"}))
        state: dict[str, object] = {"hwm": 20}
        error: type[Exception] = duckdb.Error
    else:
        batch = batch_of(finished, new)
        state = {"hwm": 20, "oops": object()}
        error = TypeError
    with pytest.raises(error):
        wh.apply_batch(batch, state)

    assert_same(before, snapshot(wh))
    assert wh.read_state("hwm") == 10
    assert wh.dirty_partitions() == []
    # the connection is usable afterwards and the same data goes in once fixed
    result = wh.apply_batch(batch_of(finished, new), {"hwm": 20})
    assert (result.inserted, result.updated) == (1, 1)
    assert wh.read_state("hwm") == 20


def test_batch_with_a_repeated_task_key_is_refused_before_writing(wh: Warehouse) -> None:
    batch = batch_of(execution(execution_id="e1", tasks=[task_execution("a", task_id="t")]))
    doubled = replace(batch, task_executions=pl.concat([batch.task_executions] * 2))
    with pytest.raises(ValueError, match="repeats a key"):
        wh.apply_batch(doubled)
    assert wh.counts()["workflow_executions"] == 0


def test_definitions_move_to_the_earliest_execution_whatever_the_ingest_order(
    wh: Warehouse,
) -> None:
    defs = [task_definition("a"), task_definition("b", depends_on=["a"])]
    late = execution(
        execution_id="late", created=T0 + 2 * DAY, definitions=defs, definition_hash="h"
    )
    early = execution(execution_id="early", created=T0, definitions=defs, definition_hash="h")
    first = wh.apply_batch(batch_of(late))
    assert first.definitions == 2
    wh.flush()
    assert partition_dates(wh, "task_definitions") == {date(2024, 5, 3)}
    second = wh.apply_batch(batch_of(early))
    assert second.definitions == 2
    rows = wh.frame("task_definitions")
    assert rows["first_seen_execution_id"].to_list() == ["early", "early"]
    wh.flush()
    assert partition_dates(wh, "task_definitions") == {date(2024, 5, 1)}
    assert_parquet_matches(wh)
    # a later execution with the same hash changes nothing
    third = wh.apply_batch(
        batch_of(
            execution(execution_id="x", created=T0 + 9 * DAY, definitions=defs, definition_hash="h")
        )
    )
    assert third.definitions == 0


def test_rejected_records_are_stored_once_with_hostile_payloads(wh: Warehouse) -> None:
    hostile = [
        {"id": "x", "input": {"big": 2**70}},
        "a string",
        {"id": 5, "nested": [[[[]]]]},
        {"id": "y", "createdTime": float("inf")},
        {"id": "z", "name": "quote ' \" and \\ and \u0000 nul"},
    ]
    result = wh.apply_batch(batch_of(*hostile, execution(execution_id="ok")))
    assert result.rejected == len(hostile)
    assert result.inserted == 1
    again = wh.apply_batch(batch_of(*hostile, at=NOW + timedelta(days=1)))
    assert again.rejected == 0
    rejected = wh.frame("rejected_records")
    assert rejected.height == len(hostile)
    assert set(rejected["rejected_at"]) == {NOW}  # first rejection time kept
    wh.flush()
    assert partition_dates(wh, "rejected_records") == {NOW.date()}
    assert_parquet_matches(wh)


def test_state_round_trips_json_values(wh: Warehouse) -> None:
    assert wh.read_state("missing", default="d") == "d"
    value = {"created_time_ms": T0, "ids": ["a", "b"], "nested": {"ok": True}}
    wh.apply_batch(FlatBatch.empty(), {"hwm": value, "n": 3})
    assert wh.read_state("hwm") == value
    assert wh.read_state("n") == 3
    wh.write_state({"n": 4})
    assert wh.read_state("n") == 4


def test_counts_and_open_executions(wh: Warehouse) -> None:
    records = [
        execution(execution_id="r", status="RUNNING", created=T0 + 2),
        execution(execution_id="p", status="PAUSED", created=T0 + 1),
        execution(execution_id="u", status="SOMETHING_NEW", created=T0 + 3),
        execution(execution_id="c", status="COMPLETED", created=T0),
        execution(execution_id="f", status="TIMED_OUT", created=T0),
        execution(
            execution_id="t",
            status="TERMINATED",
            created=T0,
            tasks=[task_execution("a"), task_execution("b")],
        ),
    ]
    wh.apply_batch(batch_of(*records, ["junk"]))
    assert wh.open_execution_ids() == ["p", "r", "u"]
    assert wh.counts() == {
        "workflow_executions": 6,
        "task_executions": 2,
        "task_definitions": 1,
        "rejected_records": 1,
    }


def test_crash_between_commit_and_flush_is_repaired_by_the_next_flush(tmp_path: Path) -> None:
    running, finished = running_then_finished()
    with Warehouse(tmp_path) as wh:
        wh.ensure_schema(views=False)
        wh.apply_batch(batch_of(running))
        wh.flush()
        wh.apply_batch(batch_of(finished))
        # the process dies here: DuckDB committed, Parquet still shows the RUNNING row
    with Warehouse(tmp_path) as wh:
        assert wh.dirty_partitions() != []
        stale = pl.read_parquet(next(wh.parquet_root.glob("workflow_executions/*/*.parquet")))
        assert stale["status"].to_list() == ["RUNNING"]
        flush_dirty_partitions(wh)
        assert_parquet_matches(wh)


def test_memory_cap_from_the_handle_and_the_operators_cap_from_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def limit(wh: Warehouse) -> str:
        return str(wh.connection.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])

    monkeypatch.delenv("WAREHOUSE_DUCKDB_MEMORY", raising=False)
    with Warehouse(tmp_path, memory_limit=INGEST_DUCKDB_MEMORY) as wh:
        assert limit(wh) == "244.1 MiB"  # 256 MB as DuckDB prints it
    monkeypatch.setenv("WAREHOUSE_DUCKDB_MEMORY", "2GB")
    cap = WarehouseSettings.load().memory_limit(INGEST_DUCKDB_MEMORY)
    assert cap == "2GB"  # the operator's cap wins
    with Warehouse(tmp_path, memory_limit=cap) as wh:
        assert limit(wh) == "1.8 GiB"
    # The store takes its cap as a parameter, never from the environment.
    with Warehouse(tmp_path) as wh:
        assert limit(wh) != "1.8 GiB"
