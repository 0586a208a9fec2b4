"""The HTTP API in-process (httpx over ASGITransport): paging, filters, errors, auth, clock."""

from __future__ import annotations

import gzip
import time
from collections import Counter
from itertools import pairwise
from typing import Any

import orjson
import pytest

from cdf_simulator import FaultConfig, Simulator
from cdf_simulator.config import DAY_MS, RETENTION_MS
from tests.support.simulator_api import (
    API,
    NOW_MS,
    authed,
    list_all,
    list_pages,
    make_client,
    small_config,
    token,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def sim() -> Simulator:
    return Simulator(small_config())


async def test_paging_never_loses_or_repeats(sim: Simulator) -> None:
    async with authed(sim) as client:
        expected = sim.world.count_visible(NOW_MS)
        reference = None
        for limit in (1000, 333, 100, 7):
            items = await list_all(client, {}, limit)
            ids = [i["id"] for i in items]
            assert len(ids) == len(set(ids)) == expected
            reference = reference or set(ids)
            assert set(ids) == reference


async def test_paging_across_a_burst_boundary(sim: Simulator) -> None:
    """Many executions with one createdTime split over pages with a tiny limit."""
    created = Counter(sim.world.timeline.created)
    burst_time, size = max(
        ((t, n) for t, n in created.items() if NOW_MS - RETENTION_MS < t <= NOW_MS - DAY_MS),
        key=lambda tn: tn[1],
    )
    assert size >= 3
    async with authed(sim) as client:
        window = {"createdTimeStart": burst_time - 1, "createdTimeEnd": burst_time}
        for limit in (1, 2, size - 1):
            items = await list_all(client, window, limit)
            ids = [i["id"] for i in items]
            assert len(ids) == len(set(ids))
            assert sum(1 for i in items if i["createdTime"] == burst_time) == size


async def test_newest_first_lists_the_same_executions_from_the_other_end(sim: Simulator) -> None:
    """The order a client must not depend on, the other way round: pages walk createdTime
    down, across bursts of one createdTime split over pages, in a window too."""
    newest_first = Simulator(small_config(list_newest_first=True))
    window = {"createdTimeStart": NOW_MS - 20 * DAY_MS, "createdTimeEnd": NOW_MS - 5 * DAY_MS}
    async with authed(sim) as oldest, authed(newest_first) as newest:
        for body_filter in ({}, window):
            expected = await list_all(oldest, body_filter, 1000)
            for limit in (1000, 100, 7, 1):
                if limit == 1 and not body_filter:
                    continue  # a few thousand requests: the window covers it
                pages = await list_pages(newest, body_filter, limit)
                ids = [i["id"] for page in pages for i in page]
                assert len(ids) == len(set(ids)) == len(expected)
                assert set(ids) == {i["id"] for i in expected}
                bounds = [(min(t), max(t)) for t in ([i["createdTime"] for i in p] for p in pages)]
                assert all(lo >= hi for (lo, _), (_, hi) in pairwise(bounds))


async def test_pages_are_not_sorted(sim: Simulator) -> None:
    async with authed(sim) as client:
        response = await client.post(f"{API}/workflows/executions/list", json={"limit": 200})
        times = [i["createdTime"] for i in response.json()["items"]]
        assert times != sorted(times) and times != sorted(times, reverse=True)


async def test_filters(sim: Simulator) -> None:
    async with authed(sim) as client:
        wf = sim.world.workflows[0]
        start, end = NOW_MS - 30 * DAY_MS, NOW_MS - 10 * DAY_MS
        items = await list_all(
            client,
            {
                "workflowFilters": [{"externalId": wf.external_id}],
                "createdTimeStart": start,
                "createdTimeEnd": end,
            },
            1000,
        )
        assert items
        assert all(i["workflowExternalId"] == wf.external_id for i in items)
        assert all(start <= i["createdTime"] <= end for i in items)
        everything = await list_all(client, {}, 1000)
        assert len(items) == sum(
            1
            for i in everything
            if i["workflowExternalId"] == wf.external_id and start <= i["createdTime"] <= end
        )
        for statuses in (["RUNNING"], ["FAILED", "TERMINATED"]):
            got = await list_all(client, {"status": statuses}, 500)
            assert got and {i["status"] for i in got} <= set(statuses)
            assert len(got) == sum(1 for i in everything if i["status"] in statuses)
        boundary = everything[0]["createdTime"]
        inclusive = await list_all(
            client, {"createdTimeStart": boundary, "createdTimeEnd": boundary}, 10
        )
        assert inclusive and all(i["createdTime"] == boundary for i in inclusive)
        unknown = await list_all(client, {"workflowFilters": [{"externalId": "no-such-wf"}]}, 10)
        assert unknown == []


@pytest.mark.parametrize("limit", [0, 1001, -1, "ten"])
async def test_bad_limits_answer_400(sim: Simulator, limit: Any) -> None:
    async with authed(sim) as client:
        response = await client.post(f"{API}/workflows/executions/list", json={"limit": limit})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == 400
        assert response.headers["x-request-id"]


async def test_bad_cursor_and_body_answer_400(sim: Simulator) -> None:
    async with authed(sim) as client:
        r = await client.post(f"{API}/workflows/executions/list", json={"cursor": "garbage!"})
        assert r.status_code == 400
        r = await client.post(f"{API}/workflows/executions/list", content=b"{not json")
        assert r.status_code == 400


async def test_detail_ids(sim: Simulator) -> None:
    async with authed(sim) as client:
        r = await client.get(f"{API}/workflows/executions/not-a-uuid")
        assert r.status_code == 400
        r = await client.get(f"{API}/workflows/executions/2f1e7b42-9a0d-4c3b-8e57-1d2c3b4a5f60")
        assert r.status_code == 404
        assert r.json()["error"]["message"]
        listed = (await client.post(f"{API}/workflows/executions/list", json={"limit": 1})).json()
        r = await client.get(f"{API}/workflows/executions/{listed['items'][0]['id']}")
        assert r.status_code == 200
        assert r.json()["id"] == listed["items"][0]["id"]


async def test_gzip_body_accepted(sim: Simulator) -> None:
    async with authed(sim) as client:
        body = gzip.compress(orjson.dumps({"limit": 5, "filter": {"status": ["COMPLETED"]}}))
        r = await client.post(
            f"{API}/workflows/executions/list",
            content=body,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
        assert r.status_code == 200
        assert len(r.json()["items"]) == 5
        assert {i["status"] for i in r.json()["items"]} == {"COMPLETED"}


async def test_auth_failures() -> None:
    sim = Simulator(small_config(token_lifetime_s=1))
    async with make_client(sim) as client:
        url = f"{API}/workflows"
        assert (await client.get(url)).status_code == 401
        assert (await client.get(url, headers={"Authorization": "Bearer nope"})).status_code == 401
        good = {"Authorization": f"Bearer {await token(client)}"}
        assert (await client.get(url, headers=good)).status_code == 200
        assert (
            await client.get("/api/v1/projects/other/workflows", headers=good)
        ).status_code == 403
        time.sleep(1.1)  # real time: tokens expire by the wall clock
        expired = await client.get(url, headers=good)
        assert expired.status_code == 401
        assert "expired" in expired.json()["error"]["message"].lower()


async def test_fixed_credentials() -> None:
    sim = Simulator(small_config(client_id="app", client_secret="s3cret"))
    async with make_client(sim) as client:
        bad = await client.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials", "client_id": "app", "client_secret": "wrong"},
        )
        assert bad.status_code == 401
        good = await client.post(
            "/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "app",
                "client_secret": "s3cret",
            },
        )
        assert good.status_code == 200


async def test_clock_moves_the_world() -> None:
    sim = Simulator(small_config())
    async with authed(sim) as client:
        running = await list_all(client, {"status": ["RUNNING"]}, 1000)
        assert running
        before = {i["id"] for i in await list_all(client, {}, 1000)}
        oldest = min(await list_all(client, {}, 1000), key=lambda i: i["createdTime"])

        r = await client.post("/_simulator/clock", json={"advanceMs": 2 * DAY_MS})
        assert r.json()["nowMs"] == NOW_MS + 2 * DAY_MS
        for item in running:
            detail = (await client.get(f"{API}/workflows/executions/{item['id']}")).json()
            assert detail["status"] != "RUNNING" and "endTime" in detail
            assert all(
                t["status"] not in ("IN_PROGRESS", "SCHEDULED") for t in detail["executedTasks"]
            )
        after = {i["id"] for i in await list_all(client, {}, 1000)}
        assert after - before, "new executions appear"
        assert before - after, "the oldest fall out of the 90-day retention"
        gone = await client.get(f"{API}/workflows/executions/{oldest['id']}")
        assert gone.status_code == 404

        await client.post("/_simulator/clock", json={"nowMs": NOW_MS})
        back = await client.get(f"{API}/workflows/executions/{oldest['id']}")
        assert back.status_code == 200


async def test_running_execution_shows_partial_progress() -> None:
    sim = Simulator(small_config())
    async with authed(sim) as client:
        running = await list_all(client, {"status": ["RUNNING"]}, 1000)
        details = [
            (await client.get(f"{API}/workflows/executions/{i['id']}")).json() for i in running
        ]
        started = [d for d in details if "startTime" in d]
        assert started
        statuses = {t["status"] for d in started for t in d["executedTasks"]}
        assert "IN_PROGRESS" in statuses
        assert all("endTime" not in d for d in details)


async def test_executions_created_after_now_do_not_exist() -> None:
    sim = Simulator(small_config())
    world = sim.world
    future_pos = world.timeline.first_after(NOW_MS + DAY_MS)
    future_id = world.execution_id(world.timeline.keys[future_pos])
    async with authed(sim) as client:
        assert (await client.get(f"{API}/workflows/executions/{future_id}")).status_code == 404
        items = await list_all(client, {"createdTimeStart": NOW_MS - RETENTION_MS}, 1000)
        assert max(i["createdTime"] for i in items) <= NOW_MS


async def test_control_endpoints_and_stats(sim: Simulator) -> None:
    async with authed(sim) as client:
        await client.post("/_simulator/stats/reset")
        await client.post(f"{API}/workflows/executions/list", json={"limit": 1})
        await client.get(f"{API}/workflows")
        await client.get(f"{API}/workflows/executions/not-a-uuid")
        stats = (await client.get("/_simulator/stats")).json()
        assert stats["requests"]["list"] == 1
        assert stats["requests"]["workflows"] == 1
        assert stats["requests"]["detail"] == 1
        assert stats["statusCodes"]["400"] == 1
        assert sim.requests_by_kind["list"] == 1
        r = await client.post("/_simulator/faults", json={"no_such_knob": 1})
        assert r.status_code == 400
        r = await client.post("/_simulator/faults", json={"latency_ms": 5})
        assert r.json()["latency_ms"] == 5
        sim.set_faults(FaultConfig())
