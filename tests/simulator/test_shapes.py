"""The simulator sends the shapes live CDF projects send, and the warehouse copes with them."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import polars as pl
import pytest

from cdf_simulator import Shapes, Simulator, create_app
from cdf_simulator.world import ExecutionFilter
from tests.support.ingest import ingest
from tests.support.sim import cdf_config_for, small_sim_config
from tests.support.simulator_api import API
from warehouse.flatten import FlatBatch, flatten_details
from warehouse.store import Warehouse
from warehouse.wire import DetailAnswer

ALL_DYNAMIC = Shapes(dispatch_only=1.0, unlinked_children=1.0, uuid_children=1.0)


def _batch(shapes: Shapes) -> tuple[list[dict[str, object]], FlatBatch]:
    sim = Simulator(small_sim_config(shapes=shapes))
    now = sim.clock.now_ms()
    items, _ = sim.world.list_executions(ExecutionFilter(), 1000, None, now)
    bodies = [sim.world.detail_bytes(sim.world.find(i["id"]), now) for i in items]
    answers = [DetailAnswer(i["id"], b) for i, b in zip(items, bodies, strict=True)]
    batch = flatten_details(answers, ingested_at=datetime.now(UTC))
    return [orjson.loads(b) for b in bodies], batch


def test_tidy_shapes_have_no_anomaly() -> None:
    _, batch = _batch(Shapes.none())
    assert batch.rejected.height == 0
    # The generator itself starts a few runs some ms before their creation, as CDF does.
    flags = set(batch.executions["quality_flags"].explode().drop_nulls())
    assert flags <= {"start_before_created"}
    assert batch.task_executions["quality_flags"].list.len().sum() == 0
    assert batch.task_executions["parent_inferred"].sum() == 0


def test_dispatch_only_children_get_back_the_parent_the_simulator_dropped() -> None:
    details, unlinked = _batch(ALL_DYNAMIC)
    _, linked = _batch(replace(ALL_DYNAMIC, unlinked_children=0.0))
    rows = [t for d in details for t in d.get("executedTasks", [])]
    dynamic = [t for t in rows if t.get("taskType") == "dynamic" and "endTime" in t]
    assert dynamic and all(t["endTime"] - t["startTime"] < 70 for t in dynamic)
    assert not any("parentTaskExternalId" in t for t in rows if t["externalId"].count("-") >= 5)
    inferred = unlinked.task_executions.filter(pl.col("parent_inferred"))
    assert inferred.height > 0
    truth = dict(
        linked.task_executions.select("task_execution_id", "parent_task_external_id").iter_rows()
    )
    wrong = [
        r
        for r in inferred.iter_rows(named=True)
        if truth[r["task_execution_id"]] != r["parent_task_external_id"]
    ]
    # Sibling dynamic tasks that dispatch at the same time can swap a child (the rule's known
    # limit, see docs/warehouse.md); sequential ones never.
    assert len(wrong) <= inferred.height // 10
    # Children named <name>_<uuid> fold into one key per kind.
    children = unlinked.task_executions.filter(pl.col("is_child"))
    assert children["task_key"].n_unique() < children["task_external_id"].n_unique() // 5


def test_skews_and_limits_are_flagged_not_rejected() -> None:
    shapes = replace(Shapes.none(), start_skew=0.2, end_skew=0.2, over_metadata=0.02)
    details, batch = _batch(shapes)
    assert batch.rejected.height == 0
    flags = batch.executions["quality_flags"].explode().drop_nulls().value_counts()
    counts = dict(flags.iter_rows())
    skewed = sum(d.get("startTime", 0) < d["createdTime"] for d in details)
    assert counts["start_before_created"] == skewed > 0
    assert counts["task_after_execution_end"] > 0
    assert counts["over_metadata_limit"] == sum(len(d.get("metadata") or {}) > 10 for d in details)


def test_records_posted_to_the_control_endpoint_are_served_first_then_the_world() -> None:
    from cdf_simulator import run_server
    from tests.support.simulator_api import API, get_token, small_config

    sim = Simulator(small_config(executions_per_day=2.0, history_days=2))
    detail = {
        "id": "0b5e6a52-0000-4000-8000-000000000001",
        "workflowExternalId": "odd",
        "version": "latest",
        "status": "COMPLETED",
        "createdTime": sim.clock.now_ms() - 1_000,
        "startTime": sim.clock.now_ms() - 1_086,
        "endTime": sim.clock.now_ms() - 10,
        "metadata": {"n": 3},
        "executedTasks": [],
    }
    with run_server(sim) as url, httpx.Client(base_url=url, timeout=30) as client:
        posted = client.post("/_simulator/records", json={"executions": [detail]})
        assert posted.json() == {"executions": 1, "triggers": 0}
        assert client.post("/_simulator/records", json=[1]).status_code == 400
        client.headers["Authorization"] = f"Bearer {get_token(client)}"
        first = client.post(f"{API}/workflows/executions/list", json={"limit": 5}).json()
        assert [i["id"] for i in first["items"]] == [detail["id"]]
        assert first["items"][0]["metadata"] == {"n": 3}
        ids: list[str] = []
        cursor = first["nextCursor"]
        while cursor:
            page = client.post(
                f"{API}/workflows/executions/list", json={"limit": 50, "cursor": cursor}
            ).json()
            ids += [i["id"] for i in page["items"]]
            cursor = page.get("nextCursor")
        assert ids and detail["id"] not in ids  # the world's executions, each once
        assert len(ids) == len(set(ids)) == sim.world.count_visible(sim.clock.now_ms())
        body = client.get(f"{API}/workflows/executions/{detail['id']}").content
        assert orjson.loads(body) == detail


# Subworkflows by reference, recordStream triggers and a rare execution over the 200-task limit,
# all on in one small world, read over HTTP (in-process ASGI) and ingested into a warehouse.
RARE = replace(Shapes.none(), subworkflow_reference=1.0, record_stream=1.0, over_task_limit=0.1)


async def _read_over_http(sim: Simulator) -> dict[str, Any]:
    from tests.support.simulator_api import authed, list_all

    async with authed(sim) as client:
        items = await list_all(client, {}, 1000)
        details = [
            (await client.get(f"{API}/workflows/executions/{i['id']}")).json() for i in items
        ]
        triggers = (await client.get(f"{API}/workflows/triggers", params={"limit": 1000})).json()
        history = {
            t["externalId"]: (
                await client.get(
                    f"{API}/workflows/triggers/{t['externalId']}/history", params={"limit": 1000}
                )
            ).json()["items"]
            for t in triggers["items"]
        }
    return {"details": details, "triggers": triggers["items"], "history": history}


@pytest.fixture(scope="module")
def rare_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    sim = Simulator(small_sim_config(shapes=RARE, history_days=20, project="demo"))
    http = asyncio.run(_read_over_http(sim))
    directory = tmp_path_factory.mktemp("rare") / "wh"
    ingest(
        cdf_config_for("http://127.0.0.1", project="demo"),
        directory,
        httpx.ASGITransport(app=create_app(sim)),
    )
    return http, directory


def _query(directory: Path, sql: str) -> list[tuple[Any, ...]]:
    with Warehouse(directory, read_only=True) as wh:
        return wh.connection.execute(sql).fetchall()


def test_subworkflows_by_reference_run_their_children(
    rare_world: tuple[dict[str, Any], Path],
) -> None:
    http, directory = rare_world
    referenced = 0
    for detail in http["details"]:
        tasks = detail["workflowDefinition"]["tasks"]
        for task in (t for t in tasks if t["type"] == "subworkflow"):
            assert set(task["parameters"]["subworkflow"]) == {"workflowExternalId", "version"}
            children = [
                r
                for r in detail["executedTasks"]
                if r.get("parentTaskExternalId") == task["externalId"]
            ]
            # The children are the referenced workflow's tasks: not in this definition.
            assert not {c["externalId"] for c in children} & {t["externalId"] for t in tasks}
            referenced += bool(children)
    assert referenced > 10
    stored = _query(
        directory,
        "SELECT count(*) FROM task_definitions WHERE task_type = 'subworkflow' AND "
        "json_extract_string(parameters, '$.subworkflow.workflowExternalId') IS NOT NULL",
    )[0][0]
    children = _query(
        directory,
        "SELECT count(*) FROM task_executions c JOIN task_executions p USING (execution_id) "
        "WHERE c.parent_task_external_id = p.task_external_id AND p.task_type = 'subworkflow'",
    )[0][0]
    assert stored > 0 and children >= referenced
    assert _query(directory, "SELECT count(*) FROM rejected_records")[0][0] == 0


def test_record_stream_triggers_fire_like_the_others(
    rare_world: tuple[dict[str, Any], Path],
) -> None:
    http, directory = rare_world
    streams = [t for t in http["triggers"] if t["triggerRule"]["triggerType"] == "recordStream"]
    assert streams
    others = [t for t in http["triggers"] if t not in streams]
    for trigger in streams:
        runs = http["history"][trigger["externalId"]]
        assert runs and all(r["status"] in ("success", "failed") for r in runs)
        # A history row has the same fields whatever fired it.
        sample = http["history"][others[0]["externalId"]][0]
        assert {k for k in runs[0] if k != "reasonForFailure"} <= set(sample) | {
            "workflowExecutionId"
        }
    rows = dict(
        _query(
            directory,
            "SELECT trigger_external_id, trigger_type FROM workflow_triggers "
            "WHERE trigger_type = 'recordStream'",
        )
    )
    assert set(rows) == {t["externalId"] for t in streams}
    fired = _query(
        directory,
        "SELECT count(*) FROM trigger_runs r JOIN workflow_triggers t USING (trigger_external_id)"
        " WHERE t.trigger_type = 'recordStream'",
    )[0][0]
    assert fired == sum(len(http["history"][t["externalId"]]) for t in streams)


def test_executions_over_the_task_limit_are_kept_and_flagged(
    rare_world: tuple[dict[str, Any], Path],
) -> None:
    http, directory = rare_world
    over = {
        d["id"]: len(d["executedTasks"])
        for d in http["details"]
        if len({r["externalId"] for r in d["executedTasks"]}) > 200
    }
    # Rare: a tenth of the runs that have a dynamic task.
    assert 0 < len(over) < len(http["details"]) // 5
    for detail in http["details"]:
        rows = detail["executedTasks"]
        assert len({r["id"] for r in rows}) == len(rows)
    flagged = dict(
        _query(
            directory,
            "SELECT e.execution_id, count(t.task_execution_id) FROM workflow_executions e "
            "JOIN task_executions t USING (execution_id) "
            "WHERE list_contains(e.quality_flags, 'over_task_limit') GROUP BY 1",
        )
    )
    assert flagged == over
    assert _query(directory, "SELECT count(*) FROM rejected_records")[0][0] == 0
