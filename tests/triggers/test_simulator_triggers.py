"""Triggers in the simulator: the official SDK reads them, and fires agree with executions."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from cognite.client import ClientConfig, CogniteClient
from cognite.client.credentials import OAuthClientCredentials
from cognite.client.data_classes.workflows import (
    WorkflowDataModelingTriggerRule,
    WorkflowScheduledTriggerRule,
)

from cdf_simulator import Simulator, create_app, run_server
from cdf_simulator.config import RETENTION_MS
from cdf_simulator.timeline import key_member, key_workflow
from tests.support.sim import SIM_NOW_MS, small_sim_config

PROJECT = "test-project"


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[Simulator, str]]:
    sim = Simulator(small_sim_config(workflows=12, history_days=45))
    with run_server(sim) as base_url:
        yield sim, base_url


@pytest.fixture(scope="module")
def sdk(live: tuple[Simulator, str]) -> CogniteClient:
    _, url = live
    credentials = OAuthClientCredentials(
        token_url=f"{url}/oauth2/token",
        client_id="x",
        client_secret="y",
        scopes=[f"{url}/.default"],
    )
    return CogniteClient(
        ClientConfig(
            client_name="trigger-tests", project=PROJECT, base_url=url, credentials=credentials
        )
    )


def history(sim: Simulator, external_id: str, limit: int = 1000) -> list[dict]:
    rows: list[dict] = []
    cursor = None
    while True:
        found = sim.world.trigger_history(external_id, limit, cursor, sim.clock.now_ms())
        assert found is not None
        page, cursor = found
        assert len(page) <= limit
        rows += page
        if cursor is None:
            return rows


def test_sdk_lists_triggers_and_their_runs(sdk: CogniteClient, live: tuple[Simulator, str]) -> None:
    sim, _ = live
    triggers = sdk.workflows.triggers.list(limit=-1)
    expected = {t.external_id for t in sim.world.triggers.values()}
    assert {t.external_id for t in triggers} == expected
    rules = [t.trigger_rule for t in triggers]
    assert any(isinstance(r, WorkflowScheduledTriggerRule) for r in rules)
    assert any(isinstance(r, WorkflowDataModelingTriggerRule) for r in rules)
    zones = {
        r.timezone.key for r in rules if isinstance(r, WorkflowScheduledTriggerRule) and r.timezone
    }
    assert zones  # at least one schedule names its zone
    busiest = max(sim.world.triggers.values(), key=lambda t: len(history(sim, t.external_id)))
    runs = sdk.workflows.triggers.list_runs(busiest.external_id, limit=-1)
    raw = history(sim, busiest.external_id)
    assert len(raw) > 1000  # the SDK had to follow a cursor
    assert sorted(r.fire_time for r in runs) == sorted(r["fireTime"] for r in raw)
    assert {r.status for r in runs} <= {"success", "failed"}


def test_history_pages_are_disjoint_and_bounded(live: tuple[Simulator, str]) -> None:
    sim, _ = live
    t = next(t for t in sim.world.triggers.values() if t.trigger_type == "schedule")
    small = history(sim, t.external_id, limit=7)
    whole = history(sim, t.external_id)
    assert [r["fireTime"] for r in small] == [r["fireTime"] for r in whole]
    assert len({r["fireTime"] for r in whole}) == len(whole)
    now = sim.clock.now_ms()
    assert all(now - RETENTION_MS < r["fireTime"] <= now for r in whole)


def test_fires_and_executions_agree(live: tuple[Simulator, str]) -> None:
    """Every successful fire names a visible execution of its workflow created at or after the
    fire; every failed fire has none; every member-0 execution of a triggered workflow in the
    window is named by exactly one fire."""
    sim, _ = live
    world, now = sim.world, sim.clock.now_ms()
    linked: set[str] = set()
    failed = 0
    for t in world.triggers.values():
        for run in history(sim, t.external_id):
            if run["status"] == "failed":
                failed += 1
                assert "workflowExecutionId" not in run and run["reasonForFailure"]
                continue
            pos = world.find(run["workflowExecutionId"])
            assert pos is not None
            summary = world.summary_item(pos, now)
            assert summary["workflowExternalId"] == t.workflow.external_id
            assert run["fireTime"] <= summary["createdTime"] <= run["fireTime"] + 11 * 60_000
            linked.add(run["workflowExecutionId"])
    assert failed > 0
    tl = world.timeline
    started = set()
    for pos in range(tl.first_at_or_after(now - RETENTION_MS + 1), tl.first_after(now)):
        key = tl.keys[pos]
        t = world.triggers.get(key_workflow(key))
        if t is None or (t.trigger_type == "schedule" and key_member(key) != 0):
            continue
        started.add(world.execution_id(key))
    # Fires a second before the window's edge may name executions just inside it, and back.
    assert len(started ^ linked) <= 2
    assert len(linked) > 300


def test_paused_window_has_no_fires_and_no_executions(live: tuple[Simulator, str]) -> None:
    sim, _ = live
    world, now = sim.world, sim.clock.now_ms()
    paused = [t for t in world.triggers.values() if t.pauses and t.pauses[0].end_ms < now]
    assert paused
    t = paused[0]
    w = t.pauses[0]
    assert not [r for r in history(sim, t.external_id) if w.start_ms <= r["fireTime"] < w.end_ms]
    tl = world.timeline
    inside = [
        pos
        for pos in range(tl.first_at_or_after(w.start_ms), tl.first_after(w.end_ms))
        if key_workflow(tl.keys[pos]) == t.workflow.index
    ]
    assert inside == []


def test_routes_answer_cdf_errors_and_count_requests() -> None:
    sim = Simulator(small_sim_config())
    app = create_app(sim)

    async def go() -> None:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://s"
        ) as c:
            token = (
                await c.post(
                    "/oauth2/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": "a",
                        "client_secret": "b",
                    },
                )
            ).json()["access_token"]
            api = f"/api/v1/projects/{PROJECT}/workflows/triggers"
            assert (await c.get(api)).status_code == 401
            c.headers["Authorization"] = f"Bearer {token}"
            listed = (await c.get(api, params={"limit": 2})).json()
            assert len(listed["items"]) == 2 and listed["nextCursor"]
            missing = await c.get(f"{api}/no-such-trigger/history")
            assert missing.status_code == 404 and missing.json()["error"]["code"] == 404
            bad = await c.get(f"{api}/x/history", params={"limit": 0})
            assert bad.status_code == 400
            other = await c.get("/api/v1/projects/other/workflows/triggers")
            assert other.status_code == 403

    asyncio.run(go())
    assert sim.requests_by_kind["triggers"] == 3
    assert sim.requests_by_kind["trigger_history"] == 2
    assert sim.clock.now_ms() == SIM_NOW_MS
