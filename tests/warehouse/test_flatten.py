from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import orjson
import polars as pl
import pytest

from tests.support.detail_records import execution, ms, task_definition, task_execution
from warehouse.flatten import FlatBatch, flatten_details, rejected_frame
from warehouse.schema import (
    REJECTED_RECORDS,
    TASK_DEFINITIONS,
    TASK_EXECUTIONS,
    WORKFLOW_EXECUTIONS,
)

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
T0 = ms("2024-05-01T23:59:59")


def flat(*records: object) -> FlatBatch:
    return flatten_details(list(records), ingested_at=NOW)


def one_task(batch: FlatBatch, external_id: str) -> dict[str, object]:
    rows = batch.task_executions.filter(pl.col("task_external_id") == external_id).to_dicts()
    assert len(rows) == 1
    return rows[0]


def test_frames_have_the_declared_schemas_even_when_empty() -> None:
    for batch in (flat(), flat(execution(tasks=[task_execution("a", start=T0, end=T0 + 5)]))):
        assert batch.executions.schema == WORKFLOW_EXECUTIONS.polars_schema()
        assert batch.task_executions.schema == TASK_EXECUTIONS.polars_schema()
        assert batch.task_definitions.schema == TASK_DEFINITIONS.polars_schema()
        assert batch.rejected.schema == REJECTED_RECORDS.polars_schema()


def test_execution_columns_and_utc_times() -> None:
    rec = execution(
        execution_id="e1",
        workflow="wf",
        version="3",
        status="FAILED",
        created=T0,
        start=T0 - 4,  # CDF may report a start a few ms before creation
        end=T0 + 60_000,
        reason="task b failed",
        metadata={"team": "ops"},
        input={"x": [1, 2]},
        definition_hash="h1",
    )
    row = flat(rec).executions.to_dicts()[0]
    assert row["execution_id"] == "e1"
    assert row["workflow_external_id"] == "wf"
    assert row["workflow_version"] == "3"
    assert row["status"] == "FAILED"
    assert row["created_time"] == datetime(2024, 5, 1, 23, 59, 59, tzinfo=UTC)
    assert row["created_time"].utcoffset() == timedelta(0)
    assert row["duration_ms"] == 60_004
    assert row["queue_ms"] == -4
    assert row["reason_for_incompletion"] == "task b failed"
    assert row["engine_execution_id"] == rec["engineExecutionId"]
    assert row["definition_hash"] == "h1"
    assert orjson.loads(row["metadata"]) == {"team": "ops"}
    assert orjson.loads(row["input"]) == {"x": [1, 2]}
    assert row["task_count"] == 0
    assert orjson.loads(row["extra"]) == {"workflowDefinition": {"description": "wf v3"}}
    assert row["ingested_at"] == NOW


def test_ingested_at_in_another_zone_is_stored_in_utc() -> None:
    cet = timezone(timedelta(hours=2))
    batch = flatten_details([execution()], ingested_at=datetime(2024, 6, 1, 14, 0, tzinfo=cet))
    assert batch.executions["ingested_at"][0] == NOW


def test_naive_ingested_at_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        flatten_details([], ingested_at=datetime(2024, 1, 1))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (T0, T0 + 1_500, 1_500),
        (T0, T0, 0),
        (T0 + 10, T0, None),  # end before start: never a negative duration
        (T0, None, None),  # still running
        (None, None, None),  # queued
        (None, T0, None),
    ],
)
def test_duration_rules(start: int | None, end: int | None, expected: int | None) -> None:
    rec = execution(
        status="RUNNING",
        start=start,
        end=end,
        tasks=[task_execution("a", start=start, end=end)],
    )
    batch = flat(rec)
    assert batch.executions["duration_ms"][0] == expected
    assert batch.task_executions["duration_ms"][0] == expected


def test_every_task_type_and_unknown_type_and_status_kept() -> None:
    types = ["function", "transformation", "cdf", "dynamic", "subworkflow", "simulation"]
    tasks = [task_execution(t, task_type=t, start=T0, end=T0 + 1) for t in types]
    tasks.append(task_execution("future", task_type="functionApp", status="WEIRD_NEW_STATUS"))
    rec = execution(status="PAUSED", tasks=tasks)
    batch = flat(rec)
    assert batch.rejected.height == 0
    assert batch.executions["status"][0] == "PAUSED"
    assert batch.executions["task_count"][0] == len(tasks)
    assert sorted(batch.task_executions["task_type"]) == sorted([*types, "functionApp"])
    future = one_task(batch, "future")
    assert future["status"] == "WEIRD_NEW_STATUS"
    fn = one_task(batch, "function")
    assert orjson.loads(fn["output"])["callId"] == 11
    assert orjson.loads(fn["input"])["function"]["externalId"] == "fn-a"
    assert orjson.loads(one_task(batch, "transformation")["output"]) == {"jobId": 33}
    assert orjson.loads(one_task(batch, "dynamic")["output"]) == {}


def test_unknown_fields_survive_in_extra_json() -> None:
    task = task_execution("a", newTaskField={"k": [1]})
    definition = task_definition("a", newDefField=7)
    rec = execution(tasks=[task], definitions=[definition], brandNew="yes", nested={"a": None})
    batch = flat(rec)
    assert orjson.loads(batch.executions["extra"][0]) == {
        "brandNew": "yes",
        "nested": {"a": None},
        "workflowDefinition": {"description": "wf-a v1"},
    }
    assert orjson.loads(batch.task_executions["extra"][0]) == {"newTaskField": {"k": [1]}}
    assert orjson.loads(batch.task_definitions["extra"][0]) == {"newDefField": 7}


def test_task_input_output_keep_unknown_nested_fields() -> None:
    out = {"callId": 1, "response": {"unexpected": {"deep": [1, "x", None, 2.5]}}}
    batch = flat(execution(tasks=[task_execution("a", output=out, input={"odd": True})]))
    row = one_task(batch, "a")
    assert orjson.loads(row["output"]) == out
    assert orjson.loads(row["input"]) == {"odd": True}


def test_dynamic_children_link_to_their_parent() -> None:
    tasks = [
        task_execution("fan", task_type="dynamic", start=T0, end=T0 + 100),
        task_execution("fan-0", parent="fan", start=T0 + 1, end=T0 + 50),
        task_execution("fan-1", parent="fan", start=T0 + 2, end=T0 + 60),
        task_execution("sub-0", task_type="cdf", parent="sub"),
    ]
    batch = flat(execution(tasks=tasks))
    df = batch.task_executions.sort("task_external_id")
    assert df["parent_task_external_id"].to_list() == [None, "fan", "fan", "sub"]
    assert df["is_child"].to_list() == [False, True, True, True]


def test_retries_shown_as_rows_get_attempt_numbers_by_start_time() -> None:
    tasks = [
        task_execution("a", status="COMPLETED", start=T0 + 300, end=T0 + 400, task_id="t3"),
        task_execution("a", status="FAILED", start=T0 + 100, end=T0 + 200, task_id="t1"),
        task_execution("a", status="SCHEDULED", task_id="t4"),  # no start yet: last
        task_execution("a", status="FAILED", start=T0 + 200, end=T0 + 250, task_id="t2"),
        task_execution("b", start=T0, end=T0 + 1, task_id="t5"),
    ]
    batch = flat(execution(tasks=tasks))
    attempts = dict(
        zip(
            batch.task_executions["task_execution_id"],
            batch.task_executions["attempt"],
            strict=True,
        )
    )
    assert attempts == {"t1": 1, "t2": 2, "t3": 3, "t4": 4, "t5": 1}


def test_definitions_columns_depends_on_and_async_complete_aliases() -> None:
    definitions = [
        task_definition("a"),
        task_definition(
            "b",
            depends_on=["a"],
            parameters={"function": {"externalId": "f"}, "asyncComplete": True},
        ),
        task_definition(
            "c",
            depends_on=["a", "b"],
            task_type="transformation",
            parameters={"transformation": {"externalId": "t"}},
            onFailure="skipTask",
            retries=0,
            timeout=None,
        ),
        task_definition("d", parameters={"function": {"externalId": "f", "isAsyncComplete": True}}),
    ]
    rec = execution(
        execution_id="e1",
        workflow="wf",
        version="2",
        definitions=definitions,
        definition_hash="abc",
        created=T0,
    )
    df = flat(rec).task_definitions.sort("task_external_id")
    rows = {r["task_external_id"]: r for r in df.to_dicts()}
    assert set(rows) == {"a", "b", "c", "d"}
    assert rows["a"]["is_async_complete"] is False  # fixture sets isAsyncComplete: false
    assert rows["b"]["is_async_complete"] is True  # the `asyncComplete` spelling
    assert rows["c"]["is_async_complete"] is None
    assert rows["d"]["is_async_complete"] is True
    assert rows["c"]["depends_on"] == ["a", "b"]
    assert rows["a"]["depends_on"] == []
    assert rows["c"]["on_failure"] == "skipTask"
    assert rows["c"]["retries"] == 0
    assert rows["c"]["timeout_s"] is None
    assert rows["a"]["timeout_s"] == 3600
    assert rows["c"]["task_type"] == "transformation"
    for r in rows.values():
        assert r["definition_hash"] == "abc"
        assert r["workflow_external_id"] == "wf"
        assert r["workflow_version"] == "2"
        assert r["first_seen_execution_id"] == "e1"
        assert r["first_seen_created_time"] == datetime(2024, 5, 1, 23, 59, 59, tzinfo=UTC)
    assert orjson.loads(rows["c"]["parameters"]) == {"transformation": {"externalId": "t"}}


def test_definitions_of_a_hash_come_from_its_earliest_execution_in_any_order() -> None:
    later = execution(execution_id="e-late", created=T0 + 1000, definition_hash="h")
    earlier = execution(execution_id="e-early", created=T0, definition_hash="h")
    for order in ([later, earlier], [earlier, later]):
        df = flat(*order).task_definitions
        assert df.height == 1
        assert df["first_seen_execution_id"][0] == "e-early"


def test_same_execution_twice_keeps_the_last() -> None:
    first = execution(execution_id="e1", status="RUNNING", start=T0)
    last = execution(execution_id="e1", status="COMPLETED", start=T0, end=T0 + 9)
    batch = flat(first, last)
    assert batch.executions["status"].to_list() == ["COMPLETED"]
    assert batch.rejected.height == 0


BAD_RECORDS: list[tuple[object, str, str | None]] = [
    ("not a dict", "not a JSON object", None),
    ([1, 2], "not a JSON object", None),
    ({"workflowExternalId": "wf"}, "id: missing", None),
    (execution(execution_id="b1", created=None) | {"createdTime": None}, "createdTime", "b1"),
    (execution(execution_id="b2") | {"createdTime": "2024-05-01"}, "createdTime", "b2"),
    (execution(execution_id="b3") | {"createdTime": -5}, "outside years", "b3"),
    (execution(execution_id="b4") | {"endTime": 10**18}, "endTime", "b4"),
    (execution(execution_id="b5") | {"status": 3}, "status", "b5"),
    (execution(execution_id="b6") | {"executedTasks": {"a": 1}}, "executedTasks", "b6"),
    (execution(execution_id="b7", tasks=[task_execution("a") | {"id": None}]), "id", "b7"),
    (execution(execution_id="b8", tasks=["task"]), "executedTasks[0]", "b8"),
    (
        execution(execution_id="b9", tasks=[task_execution("a", start=T0) | {"startTime": True}]),
        "startTime",
        "b9",
    ),
    (execution(execution_id="b10") | {"metadata": ["x"]}, "metadata", "b10"),
    (
        execution(execution_id="b11", definitions=[task_definition("a", retries="3")]),
        "retries",
        "b11",
    ),
    (
        execution(
            execution_id="b12",
            tasks=[task_execution("a", task_id="same"), task_execution("b", task_id="same")],
        ),
        "twice",
        "b12",
    ),
    (execution(execution_id="b13") | {"input": {"big": 2**70}}, "input", "b13"),
]


def test_bad_records_are_rejected_with_reason_and_raw_payload_and_good_ones_kept() -> None:
    good = [execution(execution_id="g1"), execution(execution_id="g2")]
    bad = [rec for rec, _, _ in BAD_RECORDS]
    batch = flat(good[0], *bad, good[1])
    assert batch.executions["execution_id"].to_list() == ["g1", "g2"]
    assert batch.rejected.height == len(BAD_RECORDS)
    rows = batch.rejected.to_dicts()
    for row, (rec, reason_part, record_id) in zip(rows, BAD_RECORDS, strict=True):
        assert reason_part in row["reason"], (row["reason"], reason_part)
        assert row["record_id"] == record_id
        assert row["source"] == "execution_detail"
        assert row["rejected_at"] == NOW
        if rec is not BAD_RECORDS[-1][0]:
            assert orjson.loads(row["raw_payload"]) == rec
        else:  # orjson cannot read 2**70 back, the standard library can
            import json

            assert json.loads(row["raw_payload"]) == rec
    # nothing of a rejected record leaks into the other frames
    assert set(batch.task_executions["execution_id"]) <= {"g1", "g2"}


def test_float_times_that_are_whole_numbers_are_accepted() -> None:
    rec = execution(start=T0, end=T0 + 5) | {"startTime": float(T0)}
    batch = flat(rec)
    assert batch.rejected.height == 0
    assert batch.executions["duration_ms"][0] == 5


def test_task_id_shared_by_two_executions_keeps_both_runs() -> None:
    a = execution(execution_id="a", tasks=[task_execution("x", task_id="t")])
    b = execution(execution_id="b", tasks=[task_execution("x", task_id="t")])
    batch = flat(a, b)
    assert batch.executions["execution_id"].to_list() == ["a", "b"]
    assert batch.task_executions.select("execution_id", "task_execution_id").rows() == [
        ("a", "t"),
        ("b", "t"),
    ]
    assert batch.rejected.height == 0


def test_same_bad_payload_twice_is_one_rejected_row() -> None:
    batch = flat({"id": "x"}, {"id": "x"})
    assert batch.rejected.height == 1


def test_rejected_frame_for_list_summaries() -> None:
    df = rejected_frame(
        [({"id": 5}, "id: not a string")], source="execution_summary", rejected_at=NOW
    )
    assert df.to_dicts()[0] | {"rejection_id": None} == {
        "rejection_id": None,
        "rejected_at": NOW,
        "source": "execution_summary",
        "record_id": None,
        "reason": "id: not a string",
        "raw_payload": '{"id":5}',
    }
    both = flat({"id": "x"}).with_rejected(df)
    assert both.rejected.height == 2


def test_created_date_is_the_utc_date() -> None:
    # 23:59:59 UTC is already the next day in Europe: the stored instant must stay UTC.
    batch = flat(execution(created=T0))
    created = batch.executions["created_time"][0]
    assert created.tzinfo is not None
    assert created.astimezone(UTC).date() == date(2024, 5, 1)
    assert batch.executions["created_time"].dtype == pl.Datetime("us", "UTC")
