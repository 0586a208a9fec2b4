"""The CDF client against the simulator: paging, details, auth, retries and throttling.

In-process through `httpx.ASGITransport` (fast), and over real HTTP where sockets matter
(dropped connections)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import orjson
import pytest

from cdf_client.client import WorkflowsClient
from cdf_client.config import CdfConfig
from cdf_client.errors import AccessError, AuthError, SourceUnavailableError
from cdf_simulator import FaultConfig, Simulator
from cdf_simulator.auth import TokenStore
from tests.support.sim import SIM_NOW_MS, cdf_config_for


async def _list_all(client: WorkflowsClient, **kwargs: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    async for page in client.list_executions(**kwargs):
        items.extend(page)
    return items


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_paging_returns_every_execution_once_whatever_the_page_size(
    sim: Simulator, transport: httpx.ASGITransport, inprocess_config: CdfConfig
) -> None:
    async def main() -> tuple[list[str], list[str]]:
        async with WorkflowsClient(inprocess_config, transport=transport) as client:
            big = [i["id"] for i in await _list_all(client)]
            small = [i["id"] for i in await _list_all(client, page_size=37)]
            return big, small

    big, small = _run(main())
    assert len(big) == sim.world.count_visible(sim.clock.now_ms())
    assert len(big) > 500
    assert len(set(small)) == len(small)
    assert set(small) == set(big)


def test_created_time_window_is_respected(
    transport: httpx.ASGITransport, inprocess_config: CdfConfig
) -> None:
    start, end = SIM_NOW_MS - 10 * 86_400_000, SIM_NOW_MS - 5 * 86_400_000

    async def main() -> list[dict[str, Any]]:
        async with WorkflowsClient(inprocess_config, transport=transport) as client:
            return await _list_all(client, created_time_start=start, created_time_end=end)

    items = _run(main())
    assert items
    assert all(start <= i["createdTime"] <= end for i in items)


def test_detail_of_unknown_or_malformed_id_is_none(
    transport: httpx.ASGITransport, inprocess_config: CdfConfig
) -> None:
    unknown_id, malformed_id = "2f1b7c3e-8a4d-4e2b-9c1f-0a1b2c3d4e5f", "not-a-uuid"

    async def main() -> tuple[dict[str, Any], WorkflowsClient]:
        async with WorkflowsClient(inprocess_config, transport=transport) as client:
            ids = [unknown_id, malformed_id]
            return {i: d async for i, d in client.retrieve_detailed_many(ids)}, client

    got, client = _run(main())
    assert got == {unknown_id: None, malformed_id: None}
    assert client.stats.not_found == 2


def test_details_many_fetches_each_id_once(
    sim: Simulator, transport: httpx.ASGITransport, inprocess_config: CdfConfig
) -> None:
    async def main() -> dict[str, Any]:
        async with WorkflowsClient(inprocess_config, transport=transport) as client:
            ids = [i["id"] for i in await _list_all(client)][:200]
            got = {}
            async for execution_id, body in client.retrieve_detailed_many(ids):
                got[execution_id] = orjson.loads(body)
            return got

    got = _run(main())
    assert len(got) == 200
    assert all(d["id"] == k and "executedTasks" in d for k, d in got.items())
    assert sim.requests_by_kind.get("detail") == 200


def test_details_many_yields_bodies_as_received(
    sim: Simulator, transport: httpx.ASGITransport, inprocess_config: CdfConfig
) -> None:
    async def main() -> dict[str, Any]:
        async with WorkflowsClient(inprocess_config, transport=transport) as client:
            ids = [i["id"] for i in await _list_all(client)][:20]
            ids.append("2f1b7c3e-8a4d-4e2b-9c1f-0a1b2c3d4e5f")  # unknown: still None
            return {i: d async for i, d in client.retrieve_detailed_many(ids)}

    got = _run(main())
    assert got.pop("2f1b7c3e-8a4d-4e2b-9c1f-0a1b2c3d4e5f") is None
    assert len(got) == 20
    assert all(type(body) is bytes and orjson.loads(body)["id"] == k for k, body in got.items())


@pytest.mark.parametrize("kind", ["rate_429", "rate_500", "rate_502", "rate_503", "rate_504"])
def test_transient_errors_are_retried_and_counted(
    sim: Simulator, transport: httpx.ASGITransport, inprocess_config: CdfConfig, kind: str
) -> None:
    clean = _run(_list_ids(inprocess_config, transport, page_size=50))
    sim.set_faults(FaultConfig(**{kind: 0.3, "retry_after_s": 0}))

    async def main() -> tuple[list[str], WorkflowsClient]:
        async with WorkflowsClient(inprocess_config, transport=transport, seed=1) as client:
            ids = [i["id"] for i in await _list_all(client, page_size=50)]
            return ids, client

    ids, client = _run(main())
    assert sorted(ids) == sorted(clean)
    assert client.stats.retries > 0
    assert sum(sim.faults_injected.values()) == client.stats.retries


async def _list_ids(
    config: CdfConfig, transport: httpx.AsyncBaseTransport, page_size: int = 1000
) -> list[str]:
    async with WorkflowsClient(config, transport=transport) as client:
        return [i["id"] for i in await _list_all(client, page_size=page_size)]


def test_retry_after_is_honoured_and_budget_ends_in_a_clear_error(
    sim: Simulator, transport: httpx.ASGITransport
) -> None:
    sim.set_faults(FaultConfig(rate_429=1.0, retry_after_s=1))
    # Our own backoff alone would wait < 0.75 s over three attempts: waiting >= 2 s proves the
    # server's Retry-After was used. The time budget ends the throttled run.
    config = cdf_config_for(
        "http://127.0.0.1", max_attempts=3, max_backoff_seconds=5.0, max_retry_seconds=2.5
    )
    started = time.monotonic()
    with pytest.raises(SourceUnavailableError) as info:
        _run(_list_ids(config, transport))
    assert time.monotonic() - started >= 2.0
    assert sim.responses_by_status.get(429, 0) >= 3
    assert "giving up" in str(info.value)
    assert "\n" not in str(info.value)


def test_outage_ends_after_max_attempts(sim: Simulator, transport: httpx.ASGITransport) -> None:
    sim.set_faults(FaultConfig(rate_503=1.0))
    config = cdf_config_for("http://127.0.0.1", max_attempts=4)
    with pytest.raises(SourceUnavailableError) as info:
        _run(_list_ids(config, transport))
    assert "after 4 attempts" in str(info.value)
    assert sim.responses_by_status.get(503) == 4


def test_dropped_connections_over_real_http_are_retried(sim: Simulator, sim_url: str) -> None:
    config = cdf_config_for(sim_url)
    clean = _run(_list_ids(config, None, page_size=100))  # type: ignore[arg-type]
    sim.set_faults(FaultConfig(rate_drop=0.3))

    async def main() -> tuple[list[str], WorkflowsClient]:
        async with WorkflowsClient(config, seed=2) as client:
            return [i["id"] for i in await _list_all(client, page_size=100)], client

    ids, client = _run(main())
    assert sorted(ids) == sorted(clean)
    assert client.stats.retries > 0


def test_concurrency_cap_lowers_the_limit_and_everything_arrives(
    sim: Simulator, transport: httpx.ASGITransport
) -> None:
    sim.set_faults(FaultConfig(max_concurrent=4, latency_ms=5, retry_after_s=0))
    config = cdf_config_for("http://127.0.0.1", concurrency=16)

    async def main() -> tuple[int, WorkflowsClient]:
        async with WorkflowsClient(config, transport=transport, seed=3) as client:
            ids = [i["id"] for i in await _list_all(client)][:300]
            n = 0
            async for _, detail in client.retrieve_detailed_many(ids):
                assert detail is not None
                n += 1
            return n, client

    n, client = _run(main())
    assert n == 300
    assert client.stats.throttled > 0
    assert client.limiter.lowest < 16


def test_forgotten_token_is_refreshed_once_on_401(
    sim: Simulator, transport: httpx.ASGITransport, inprocess_config: CdfConfig
) -> None:
    async def main() -> WorkflowsClient:
        async with WorkflowsClient(inprocess_config, transport=transport) as client:
            await _list_all(client, page_size=1000)
            sim.tokens = TokenStore()  # the identity provider forgot every token
            await _list_all(client, page_size=1000)
            return client

    client = _run(main())
    assert client.stats.token_refreshes_on_401 == 1
    assert client.stats.statuses[401] == 1


def test_bad_static_token_is_auth_error(transport: httpx.ASGITransport) -> None:
    config = cdf_config_for("http://127.0.0.1", token="not-a-token")
    with pytest.raises(AuthError) as info:
        _run(_list_ids(config, transport))
    assert "401" in str(info.value)
    assert "not-a-token" not in str(info.value)


def test_other_project_is_access_error(transport: httpx.ASGITransport) -> None:
    config = cdf_config_for("http://127.0.0.1", project="someone-elses")
    with pytest.raises(AccessError) as info:
        _run(_list_ids(config, transport))
    assert "someone-elses" in str(info.value)
    assert "403" in str(info.value)


def test_refused_client_credentials_are_auth_error(
    sim: Simulator, transport: httpx.ASGITransport
) -> None:
    sim.config.client_id, sim.config.client_secret = "right-id", "right-secret"
    config = cdf_config_for(
        "http://127.0.0.1", client_id="right-id", client_secret="wrong-secret-value"
    )
    with pytest.raises(AuthError) as info:
        _run(_list_ids(config, transport))
    assert "IDP_CLIENT_SECRET" in str(info.value)
    assert "wrong-secret-value" not in str(info.value)


def test_details_many_raises_the_first_error_as_it_is(
    sim: Simulator, transport: httpx.ASGITransport
) -> None:
    config = cdf_config_for("http://127.0.0.1", max_attempts=2, max_backoff_seconds=0.01)

    async def main() -> None:
        async with WorkflowsClient(config, transport=transport) as client:
            ids = [i["id"] for i in await _list_all(client)][:50]
            sim.set_faults(FaultConfig(rate_503=1.0))
            async for _ in client.retrieve_detailed_many(ids):
                raise AssertionError("no detail can arrive while CDF answers 503")

    with pytest.raises(SourceUnavailableError) as info:
        _run(main())
    assert "detail" in str(info.value)


def test_details_many_stopped_early_leaves_no_task_behind(
    transport: httpx.ASGITransport, inprocess_config: CdfConfig
) -> None:
    async def main() -> tuple[int, set[asyncio.Task[Any]]]:
        async with WorkflowsClient(inprocess_config, transport=transport) as client:
            ids = [i["id"] for i in await _list_all(client)][:200]
            fetched = client.retrieve_detailed_many(ids)
            n = 0
            async for _ in fetched:
                n += 1
                if n == 5:
                    break
            await fetched.aclose()  # type: ignore[attr-defined]
            return n, asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]

    n, left = _run(main())
    assert n == 5
    assert left == set()
