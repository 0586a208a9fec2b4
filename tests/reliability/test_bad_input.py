"""Bad input served over HTTP (a transport-level ASGI wrapper, ``tamper.Tamper``): every bad record
gets a rejection on record with a clear reason, every good record is kept, nothing crashes. And
property tests: the client turns any list or detail answer into data or a CdfApiError."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdf_client.client import WorkflowsClient
from cdf_client.errors import CdfApiError
from cdf_simulator import create_app
from ingest.list_items import valid_summary
from tests.support.detail_records import execution, task_execution
from tests.support.ingest import ingest, parquet_matches_duckdb, snapshot
from tests.support.reliability import PAGE_SIZE, config_for, data_fingerprint, tiny_sim
from tests.support.sim import SIM_NOW_MS
from tests.support.tamper import Tamper
from warehouse.flatten import flatten_details
from warehouse.quality import (
    MAX_INPUT_BYTES,
    MAX_METADATA_KEY,
    MAX_METADATA_PAIRS,
    MAX_METADATA_VALUE,
    MAX_TASK_PAYLOAD_BYTES,
    MAX_TASKS,
)
from warehouse.store import Warehouse
from warehouse.wire import DetailAnswer

DAY_MS = 86_400_000
T = SIM_NOW_MS - DAY_MS  # yesterday in the simulated world
UNICODE_ID = "exé-😀-ü/slash?#%20"
HOSTILE_MESSAGE = "line 1\nline 2\r\x00\x07\x1b[31m red \u202eevil\u202c 😀 ñ"


def _blob(size: int) -> dict[str, str]:
    """A JSON object whose compact encoding is exactly ``size`` bytes."""
    return {"blob": "a" * (size - len(orjson.dumps({"blob": ""})))}


def _summary(execution_id: Any, **changes: Any) -> dict[str, Any]:
    item = {
        "id": execution_id,
        "workflowExternalId": "wf-injected",
        "version": "1",
        "status": "COMPLETED",
        "engineExecutionId": "e",
        "createdTime": T,
        "startTime": T,
        "endTime": T + 60_000,
    }
    item.update(changes)
    return item


def _detail(execution_id: str, **changes: Any) -> dict[str, Any]:
    record = execution(
        execution_id=execution_id,
        workflow="wf-injected",
        created=T,
        start=T,
        end=T + 60_000,
        tasks=[task_execution("step-1", start=T, end=T + 1000, task_id=f"{execution_id}-t1")],
    )
    record.update(changes)
    return record


def _tasks(n: int, prefix: str) -> list[dict[str, Any]]:
    return [task_execution(f"s{i}", task_id=f"{prefix}-{i}", start=T, end=T + 1) for i in range(n)]


# List items rejected before any detail is asked: (item, words of the reason).
BAD_SUMMARIES: list[tuple[Any, str]] = [
    (42, "not an object"),
    ({"workflowExternalId": "wf", "createdTime": T}, "no string id"),
    (_summary("ctl\x00\x07id"), "control characters"),
    (_summary("x" * 300), "300 characters long"),
    (_summary("string-time", createdTime="yesterday"), "no integer createdTime"),
    (_summary("fraction-time", createdTime=T + 0.5), "is not a whole number of milliseconds"),
    (_summary("huge-time", createdTime=2**62), f"createdTime {2**62} is outside years"),
    (_summary("negative-time", createdTime=-5), "createdTime -5 is outside years"),
    (_summary("future-time", createdTime=SIM_NOW_MS + 60 * 365 * DAY_MS), "in the future"),
]
# Details served for valid list items, rejected: id -> (answer body, words of the reason).
BAD_DETAILS: dict[str, tuple[bytes, str]] = {
    "bad-json": (b'{"id": "bad-json", "status": ', "not valid JSON"),
    "json-null": (b"null", "JSON null"),
    "json-list": (b"[1, 2]", "not a JSON object"),
    "wrong-types": (orjson.dumps(_detail("wrong-types", status=123)), "status: not a non-empty"),
    "missing-fields": (
        orjson.dumps({k: v for k, v in _detail("missing-fields").items() if k != "status"}),
        "status: missing",
    ),
    "other-id": (orjson.dumps(_detail("someone-else")), "for another id"),
    "absurd-task-time": (
        orjson.dumps(
            _detail(
                "absurd-task-time",
                executedTasks=[task_execution("s", task_id="att-1", start=10**15)],
            )
        ),
        "startTime: 1000000000000000 is outside",
    ),
}
# Over one of CDF's documented limits: a run CDF executed, so kept and flagged (the flag named).
OVER_LIMITS: dict[str, tuple[dict[str, Any], str]] = {
    "over-input": (_detail("over-input", input=_blob(MAX_INPUT_BYTES + 1)), "payload_over_limit"),
    "over-tasks": (
        _detail("over-tasks", executedTasks=_tasks(MAX_TASKS + 1, "ot")),
        "over_task_limit",
    ),
    "over-metadata": (
        _detail("over-metadata", metadata={f"k{i}": "v" for i in range(MAX_METADATA_PAIRS + 1)}),
        "over_metadata_limit",
    ),
    "over-metadata-value": (
        _detail("over-metadata-value", metadata={"k": "v" * 256}),
        "over_metadata_limit",
    ),
    "over-task-output": (
        _detail(
            "over-task-output",
            executedTasks=[
                task_execution("s", task_id="oto-1", output=_blob(MAX_TASK_PAYLOAD_BYTES + 1))
            ],
        ),
        "payload_over_limit",
    ),
}
# Odd but valid: kept, values exactly as sent.
GOOD_DETAILS: dict[str, dict[str, Any]] = {
    UNICODE_ID: _detail(UNICODE_ID, reasonForIncompletion=HOSTILE_MESSAGE, status="FAILED"),
    # A whole float where an integer is expected: the same instant, in the list and the detail.
    "float-time": _detail("float-time", createdTime=float(T)),
    "unknown-enums": _detail(
        "unknown-enums",
        status="PAUSED",
        executedTasks=[
            task_execution("q", task_id="ue-1", task_type="quantumTask", status="WEIRD_NEW")
        ],
    ),
    "at-limits": _detail(
        "at-limits",
        input=_blob(MAX_INPUT_BYTES),
        metadata={
            f"{i:0{MAX_METADATA_KEY}d}": "v" * MAX_METADATA_VALUE for i in range(MAX_METADATA_PAIRS)
        },
        executedTasks=[
            *_tasks(MAX_TASKS - 1, "al"),
            task_execution("big", task_id="al-big", output=_blob(MAX_TASK_PAYLOAD_BYTES)),
        ],
    ),
}


def _tampered(sim: Any) -> Tamper:
    def rewrite(page: int, body: dict[str, Any]) -> dict[str, Any]:
        # Page 1 is the preflight's; page 2 is the listing's first, page 3 its second.
        if page == 2:
            body["items"] = [
                *body["items"],
                *[item for item, _ in BAD_SUMMARIES],
                *[_summary(i) for i in BAD_DETAILS],
                *[
                    _summary(i, status=d["status"], createdTime=d["createdTime"])
                    for i, d in GOOD_DETAILS.items()
                ],
                *[_summary(i) for i in OVER_LIMITS],
            ]
            _tampered.first_real = body["items"][0]  # type: ignore[attr-defined]
        elif page == 3:
            # The same execution on two pages: listed and fetched once.
            body["items"] = [*body["items"], _tampered.first_real]  # type: ignore[attr-defined]
        return body

    details = {i: body for i, (body, _) in BAD_DETAILS.items()}
    details.update({i: orjson.dumps(d) for i, d in GOOD_DETAILS.items()})
    details.update({i: orjson.dumps(d) for i, (d, _) in OVER_LIMITS.items()})
    return Tamper(create_app(sim), rewrite_list=rewrite, details=details)


def test_bad_records_are_rejected_on_record_and_good_ones_kept(
    clean_snapshot: dict[str, Any], tmp_path: Path
) -> None:
    directory = tmp_path / "wh"
    transport = httpx.ASGITransport(app=_tampered(tiny_sim()))
    report = ingest(config_for(), directory, transport, page_size=PAGE_SIZE)

    assert report.duplicates_in_list == 1
    assert report.rejected == len(BAD_SUMMARIES) + len(BAD_DETAILS)
    with Warehouse(directory, read_only=True) as wh:
        rejected = wh.frame("rejected_records").to_dicts()
        stored = {r["execution_id"]: r for r in wh.frame("workflow_executions").to_dicts()}
    reasons = [r["reason"] for r in rejected]
    for words in [w for _, w in BAD_SUMMARIES] + [w for _, w in BAD_DETAILS.values()]:
        assert sum(words in reason for reason in reasons) == 1, (words, reasons)
    assert all("\n" not in reason for reason in reasons)
    assert {r["source"] for r in rejected} == {"execution_summary", "execution_detail"}

    # Odd but valid records are kept with their values exactly as sent...
    assert stored[UNICODE_ID]["reason_for_incompletion"] == HOSTILE_MESSAGE
    assert stored["unknown-enums"]["status"] == "PAUSED"
    assert stored["float-time"]["created_time"] == stored[UNICODE_ID]["created_time"]
    assert stored["at-limits"]["task_count"] == MAX_TASKS
    assert stored["at-limits"]["quality_flags"] == []
    # ...records over a documented limit are kept and say which limit they break...
    for execution_id, (_, flag) in OVER_LIMITS.items():
        assert stored[execution_id]["quality_flags"] == [flag], execution_id
    # ...no rejected id is stored, and every record of the simulator is there unchanged.
    assert not set(BAD_DETAILS) & set(stored)
    injected = set(GOOD_DETAILS) | set(OVER_LIMITS)
    rows = snapshot(directory)
    for table in ("workflow_executions", "task_executions"):
        # r[0] is cdf_project; the ids follow it.
        kept = [r for r in rows[table] if not (set(r[1:3]) & injected)]
        assert kept == clean_snapshot[table], table
    counts = parquet_matches_duckdb(directory)
    assert counts["workflow_executions"][0] == counts["workflow_executions"][1]

    # The next run stores no rejection twice.
    again = ingest(config_for(), directory, transport, page_size=PAGE_SIZE)
    assert again.rejected == 0


def test_a_list_answer_that_is_not_json_fails_clearly_and_changes_nothing(
    tmp_path: Path,
) -> None:
    sim = tiny_sim()
    directory = tmp_path / "wh"
    ingest(config_for(), directory, httpx.ASGITransport(app=create_app(sim)), page_size=PAGE_SIZE)
    before = data_fingerprint(directory / "parquet")
    rows = snapshot(directory)
    broken = Tamper(
        create_app(sim), rewrite_list=lambda page, body: b"<html>" if page == 3 else body
    )
    with pytest.raises(CdfApiError) as info:
        ingest(config_for(), directory, httpx.ASGITransport(app=broken), page_size=PAGE_SIZE)
    assert "answer is not valid JSON" in str(info.value) and "\n" not in str(info.value)
    assert snapshot(directory) == rows
    assert data_fingerprint(directory / "parquet") == before


# --- property tests: the client's handling of whatever an answer holds --------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)
list_answers = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"items": st.lists(json_values | st.builds(_summary, st.text(min_size=1)), max_size=4)},
        optional={"nextCursor": json_values},
    ),
)
raw_bodies = st.one_of(
    # stdlib json: integers past 64 bits and lone surrogates, which orjson refuses to read
    list_answers.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=40),
)


def _mock(list_body: bytes, detail_body: bytes) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
        if request.url.path.endswith("/executions/list"):
            cursor = orjson.loads(request.content).get("cursor")
            # Never an endless walk: a second page always ends.
            return httpx.Response(200, content=list_body if cursor is None else b'{"items": []}')
        return httpx.Response(200, content=detail_body)

    return httpx.MockTransport(handler)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(list_body=raw_bodies, detail_body=raw_bodies)
def test_any_answer_is_data_or_a_clear_api_error(list_body: bytes, detail_body: bytes) -> None:
    async def main() -> None:
        async with WorkflowsClient(config_for(), transport=_mock(list_body, detail_body)) as client:
            async for page in client.list_executions(page_size=10):
                assert isinstance(page, list)
                for item in page:
                    # The ingest's check never raises: an item is used or rejected with a reason.
                    problem = valid_summary(item, SIM_NOW_MS)
                    assert problem is None or isinstance(problem, str)
            answers = [a async for a in client.retrieve_detailed_many(["some-id"])]
            assert len(answers) == 1 and answers[0][1] is not None
            # The ingest's path: whatever the body holds becomes one execution or one
            # rejection with a reason, never an exception.
            batch = flatten_details([DetailAnswer(*answers[0])], ingested_at=datetime.now(UTC))
            assert batch.executions.height + batch.rejected.height == 1
            assert all(batch.rejected["reason"])

    try:
        asyncio.run(main())
    except CdfApiError as exc:
        assert "\n" not in str(exc)
