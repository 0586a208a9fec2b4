"""Detail answers flattened from their bodies as received (the ingest's path) give exactly the rows
of the same records flattened as dicts, whatever the record holds."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.detail_records import execution, ms, task_definition, task_execution
from tests.support.flatten_strategies import batches
from warehouse.flatten import FlatBatch, flatten_details
from warehouse.flatten.decode import decode_answer
from warehouse.wire import DetailAnswer

NOW = datetime(2024, 6, 1, tzinfo=UTC)
T0 = ms("2024-05-01T00:00:00")


def _answer(rec: Any, asked: str) -> DetailAnswer:
    return DetailAnswer(asked, orjson.dumps(rec))


def _same(a: FlatBatch, b: FlatBatch) -> None:
    for name in ("executions", "task_executions", "task_definitions"):
        assert getattr(a, name).equals(getattr(b, name)), name
    sort = ["rejection_id"]
    assert a.rejected.sort(sort).equals(b.rejected.sort(sort))


def _comparable(rec: Any) -> bool:
    # A body the ingest can receive (orjson writes it) and whose id, when it has one, is the one
    # asked. Answers for another id, or null, are rejected as such: see the tests below.
    try:
        if orjson.loads(orjson.dumps(rec)) != rec:
            return False  # NaN and infinities: orjson writes them as null
    except (orjson.JSONEncodeError, TypeError):
        return False
    if isinstance(rec, dict) and "id" in rec:
        return isinstance(rec["id"], str) and bool(rec["id"])
    return rec is not None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_bodies_flatten_exactly_like_decoded_records(batch: list[Any]) -> None:
    kept = [rec for rec in batch if _comparable(rec)]
    answers = [
        _answer(rec, rec["id"] if isinstance(rec, dict) and "id" in rec else f"asked-{i}")
        for i, rec in enumerate(kept)
    ]
    _same(flatten_details(answers, ingested_at=NOW), flatten_details(kept, ingested_at=NOW))


def _clean_record(execution_id: str = "exec-1") -> dict[str, Any]:
    return execution(
        execution_id=execution_id,
        created=T0,
        start=T0 + 10,
        end=T0 + 5_000,
        tasks=[
            task_execution("t0", start=T0 + 20, end=T0 + 900, task_id=f"{execution_id}-a"),
            task_execution("t1", start=T0 + 1000, end=T0 + 4000, task_id=f"{execution_id}-b"),
        ],
        definitions=[task_definition("t0"), task_definition("t1", depends_on=["t0"])],
        definition_hash="h1",
        metadata={"team": "ops"},
        input={"date": "2024-05-01", "items": [1, 2.5, None]},
    )


def test_a_clean_body_takes_the_fast_path_and_keeps_payloads_as_sent() -> None:
    rec = _clean_record()
    answer = _answer(rec, "exec-1")
    assert decode_answer(answer, {}) is not None  # decoded straight into rows, no dict built
    flat = flatten_details([answer], ingested_at=NOW)
    assert flat.executions["input"].to_list() == [orjson.dumps(rec["input"]).decode()]
    outputs = flat.task_executions.sort("task_execution_id")["output"].to_list()
    assert outputs == [orjson.dumps(t["output"]).decode() for t in rec["executedTasks"]]
    assert flat.task_definitions.height == 2


def test_unusual_bodies_take_the_careful_path_with_the_same_result() -> None:
    float_time = _clean_record("exec-f")
    float_time["startTime"] = float(T0 + 10)  # an integral float: normalised, not rejected
    unknown = _clean_record("exec-u")
    unknown["executedTasks"][0]["newField"] = {"kept": True}  # kept in the task's extra
    for rec in (float_time, unknown):
        answer = _answer(rec, rec["id"])
        assert decode_answer(answer, {}) is None
        _same(flatten_details([answer], ingested_at=NOW), flatten_details([rec], ingested_at=NOW))
    flat = flatten_details([_answer(unknown, "exec-u")], ingested_at=NOW)
    extras = flat.task_executions["extra"].drop_nulls().to_list()
    assert [json.loads(e) for e in extras] == [{"newField": {"kept": True}}]


def test_a_pretty_printed_body_gives_the_same_rows_with_payload_text_as_sent() -> None:
    rec = _clean_record()
    pretty = DetailAnswer("exec-1", json.dumps(rec, indent=2).encode())
    got = flatten_details([pretty], ingested_at=NOW)
    want = flatten_details([rec], ingested_at=NOW)
    payloads = ["input", "output"]
    assert got.task_executions.drop(payloads).equals(want.task_executions.drop(payloads))
    for column in payloads:
        as_sent = got.task_executions[column].to_list()
        assert [json.loads(t) for t in as_sent] == [
            json.loads(t) for t in want.task_executions[column]
        ]
    assert got.executions.drop("input").equals(want.executions.drop("input"))


def test_answers_that_cannot_stand_for_the_execution_asked_are_rejected() -> None:
    answers = [
        DetailAnswer("asked-1", b"<html>gateway timeout</html>"),
        DetailAnswer("asked-2", b"null"),
        _answer(_clean_record("someone-else"), "asked-3"),
        _answer(_clean_record("asked-4"), "asked-4"),
    ]
    flat = flatten_details(answers, ingested_at=NOW)
    assert flat.executions["execution_id"].to_list() == ["asked-4"]
    reasons = dict(zip(flat.rejected["raw_payload"], flat.rejected["reason"], strict=True))
    assert reasons[orjson.dumps("<html>gateway timeout</html>").decode()] == (
        "detail answer for 'asked-1' is not valid JSON"
    )
    assert reasons['"null"'] == "detail answer for 'asked-2' is JSON null instead of an execution"
    other = flat.rejected.filter(pl.col("record_id") == "someone-else")
    assert other["reason"].to_list() == [
        "detail answer for 'asked-3' is for another id: 'someone-else'"
    ]


def test_bytes_that_are_not_utf8_reject_the_answer_not_the_batch() -> None:
    clean = orjson.dumps(_clean_record("exec-1"))
    answers = [
        # inside a task payload (kept raw by the fast path), then inside the definition
        DetailAnswer("exec-1", clean.replace(b'"ok":true', b'"ok":"\xff\xfe"', 1)),
        DetailAnswer("exec-1", clean.replace(b'"t1 task"', b'"t1 \xc3"', 1)),
        _answer(_clean_record("exec-2"), "exec-2"),
    ]
    assert answers[0].body != clean and answers[1].body != clean
    flat = flatten_details(answers, ingested_at=NOW)
    assert flat.executions["execution_id"].to_list() == ["exec-2"]
    assert flat.rejected["reason"].to_list() == ["detail answer for 'exec-1' is not valid JSON"] * 2
    # Judged answer by answer, as if each were checked alone, whatever else the batch holds.
    not_json = "detail answer for 'exec-1' is not valid JSON"
    good = _answer(_clean_record("exec-1"), "exec-1")
    for batch in ([good, answers[0]], [answers[0], good]):  # damaged answer last, then first
        flat = flatten_details(batch, ingested_at=NOW)
        assert flat.executions["execution_id"].to_list() == ["exec-1"]
        assert flat.rejected["reason"].to_list() == [not_json]
    # A damaged answer whose task ids clash with another execution's is rejected as not JSON.
    rec = _clean_record("exec-9")
    for t, owned in zip(rec["executedTasks"], ["exec-1-a", "exec-1-b"], strict=True):
        t["id"] = owned  # exec-1's task ids
    damaged = orjson.dumps(rec).replace(b'"ok":true', b'"ok":"\xff"', 1)
    assert damaged != orjson.dumps(rec)
    flat = flatten_details([good, DetailAnswer("exec-9", damaged)], ingested_at=NOW)
    assert flat.executions["execution_id"].to_list() == ["exec-1"]
    assert flat.rejected["reason"].to_list() == ["detail answer for 'exec-9' is not valid JSON"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10_000), st.binary(min_size=0, max_size=3)), max_size=4))
def test_a_damaged_body_is_accepted_or_rejected_never_a_crash(
    edits: list[tuple[int, bytes]],
) -> None:
    body = orjson.dumps(_clean_record("exec-1"))
    for at, chunk in edits:  # overwrite a few bytes anywhere
        at %= len(body)
        body = body[:at] + chunk + body[at + len(chunk) :]
    flat = flatten_details(
        [DetailAnswer("exec-1", body), _answer(_clean_record("exec-2"), "exec-2")],
        ingested_at=NOW,
    )
    assert "exec-2" in flat.executions["execution_id"].to_list()
    assert flat.executions.height + flat.rejected.height == 2
