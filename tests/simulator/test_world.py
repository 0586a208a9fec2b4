"""The generated world: determinism, realism of shapes, and the documented limits."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import orjson
import pytest

from cdf_simulator import Simulator, SimulatorConfig, World
from cdf_simulator.config import DAY_MS, RETENTION_MS
from cdf_simulator.world import ExecutionFilter
from tests.support.simulator_api import NOW_MS, small_config

SDK_TYPED_TASKS = {"function", "transformation", "cdf", "simulation"}


def all_details(world: World, now_ms: int) -> list[dict[str, Any]]:
    tl = world.timeline
    lo, hi = tl.first_at_or_after(now_ms - RETENTION_MS + 1), tl.first_after(now_ms)
    return [orjson.loads(world.detail_bytes(pos, now_ms)) for pos in range(lo, hi)]


@pytest.fixture(scope="module")
def details() -> list[dict[str, Any]]:
    return all_details(Simulator(small_config()).world, NOW_MS)


def test_default_world_size() -> None:
    world = Simulator(SimulatorConfig(now_ms=NOW_MS)).world
    assert world.count_visible(NOW_MS) >= 2_000
    assert 10 <= len(world.workflows) <= 99
    created = world.timeline.created
    visible_from = world.timeline.first_at_or_after(NOW_MS - RETENTION_MS + 1)
    assert NOW_MS - created[visible_from] >= 30 * DAY_MS


def test_same_seed_same_world_and_different_seed_different_world() -> None:
    def fingerprint(seed: int) -> bytes:
        world = Simulator(small_config(seed=seed)).world
        items, _ = world.list_executions(ExecutionFilter(), 1000, None, NOW_MS)
        tl = world.timeline
        sample = range(tl.first_at_or_after(NOW_MS - 5 * DAY_MS), tl.first_after(NOW_MS), 7)
        return orjson.dumps(
            [
                items,
                [orjson.loads(world.detail_bytes(p, NOW_MS)) for p in sample],
                [wf.to_json() for wf in world.workflows],
            ]
        )

    assert fingerprint(3) == fingerprint(3)
    assert fingerprint(3) != fingerprint(4)


def test_execution_ids_are_uuid4_and_round_trip(details: list[dict[str, Any]]) -> None:
    world = Simulator(small_config()).world
    for d in details[:500]:
        assert uuid.UUID(d["id"]).version == 4
        assert uuid.UUID(d["engineExecutionId"]).version == 4
        pos = world.find(d["id"])
        assert pos is not None
        assert world.summary_item(pos, NOW_MS)["id"] == d["id"]
    assert world.find(str(uuid.UUID(int=12345, version=4))) is None


def test_every_task_type_and_parent_links(details: list[dict[str, Any]]) -> None:
    types = Counter(t["taskType"] for d in details for t in d["executedTasks"])
    assert {
        "function",
        "transformation",
        "cdf",
        "dynamic",
        "subworkflow",
        "simulation",
        "functionApp",
    } <= set(types)
    for d in details:
        rows = {t["externalId"]: t for t in d["executedTasks"]}
        defined = {t["externalId"]: t for t in d["workflowDefinition"]["tasks"]}
        for t in d["executedTasks"]:
            parent = t.get("parentTaskExternalId")
            if parent is not None:
                # Children are flat entries whose parent is a dynamic or subworkflow task.
                assert defined[parent]["type"] in ("dynamic", "subworkflow")
                assert parent in rows
            if t["taskType"] == "dynamic" and t["status"] != "SKIPPED":
                assert isinstance(t["input"]["dynamic"]["tasks"], list)


def test_task_and_execution_statuses_cover_the_failure_modes(details: list[dict[str, Any]]) -> None:
    task_statuses = Counter(t["status"] for d in details for t in d["executedTasks"])
    assert {
        "COMPLETED",
        "FAILED",
        "TIMED_OUT",
        "FAILED_WITH_TERMINAL_ERROR",
        "SKIPPED",
        "COMPLETED_WITH_ERRORS",
        "CANCELED",
        "IN_PROGRESS",
    } <= set(task_statuses)
    statuses = Counter(d["status"] for d in details)
    assert {"COMPLETED", "FAILED", "TERMINATED", "RUNNING"} <= set(statuses)
    for d in details:
        if d["status"] == "TERMINATED":
            assert "cancelled" in d["reasonForIncompletion"]
        if d["status"] in ("FAILED", "TIMED_OUT", "TERMINATED"):
            assert d["reasonForIncompletion"]
            assert d["endTime"] >= d["startTime"]
        if d["status"] == "RUNNING":
            assert "endTime" not in d


def test_workflow_timeouts_exist_in_a_larger_world() -> None:
    world = Simulator(SimulatorConfig(seed=1, now_ms=NOW_MS, executions_per_day=400)).world
    items, _ = world.list_executions(
        ExecutionFilter(statuses=frozenset({"TIMED_OUT"})), 50, None, NOW_MS
    )
    assert items
    for item in items:
        assert item["endTime"] - item["startTime"] == DAY_MS


def test_reasons_vary(details: list[dict[str, Any]]) -> None:
    reasons = [d["reasonForIncompletion"] for d in details if d.get("reasonForIncompletion")]
    assert len(set(reasons)) > 0.8 * len(reasons) > 10


def test_both_retry_forms(details: list[dict[str, Any]]) -> None:
    repeated = 0
    for d in details:
        counts = Counter(t["externalId"] for t in d["executedTasks"])
        repeated += any(n > 1 for n in counts.values())
    assert repeated > 0, "some workflow shows a retried task as several rows"
    world = Simulator(small_config()).world
    assert {wf.retry_rows for wf in world.workflows} == {True, False}


def test_queueing_and_clock_skew(details: list[dict[str, Any]]) -> None:
    waits = [d["startTime"] - d["createdTime"] for d in details if "startTime" in d]
    assert any(w > 60_000 for w in waits), "queued runs start well after creation"
    assert any(-20 < w < 0 for w in waits), "some start a few ms before createdTime"


def test_bursts_share_created_time(details: list[dict[str, Any]]) -> None:
    counts = Counter(d["createdTime"] for d in details)
    assert max(counts.values()) >= 3


def test_shapes_and_limits(details: list[dict[str, Any]]) -> None:
    over_metadata = 0
    for d in details:
        md = d.get("metadata") or {}
        # The world breaks the documented 10 pairs on purpose, rarely (Shapes.over_metadata).
        over_metadata += len(md) > 10
        assert len(md) <= 11
        # Numbers are sent as JSON numbers by some workflows, as in the live capture.
        assert all(len(k) <= 32 and (type(v) is int or len(v) <= 255) for k, v in md.items())
        assert len(orjson.dumps(d.get("input"))) <= 100_000
        n_tasks = len(d["workflowDefinition"]["tasks"])
        assert 3 <= n_tasks <= 40
        assert len(d["executedTasks"]) <= 200
        for t in d["executedTasks"]:
            assert isinstance(t["output"], dict), "the SDK cannot parse a null output"
            assert set(t) >= {"id", "externalId", "status", "taskType", "input", "output"}
            if t["status"] in ("IN_PROGRESS",):
                assert "startTime" in t and "endTime" not in t
            if "startTime" in t and "endTime" in t:
                assert t["endTime"] >= t["startTime"]
    assert over_metadata <= len(details) // 100


def test_versions_have_distinct_hashes_and_switch_over_time() -> None:
    world = Simulator(small_config()).world
    multi = [wf for wf in world.workflows if len(wf.versions) > 1]
    assert multi
    for wf in multi:
        hashes = [v.hash for v in wf.versions]
        assert len(set(hashes)) == len(hashes)
        first, last = wf.versions[0], wf.versions[-1]
        assert wf.version_at(last.active_from_ms + 1) is last
        assert wf.version_at(last.active_from_ms - 1) is not last
        assert first.version == "1"
