"""Which connection layer the client uses for the network (see cdf_client.transport)."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest
from httpx_aiohttp import AiohttpTransport

from cdf_client.transport import network_transport

LIMITS = httpx.Limits(max_connections=32, max_keepalive_connections=32)


def test_aiohttp_transport_without_a_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)
    transport = network_transport(limits=LIMITS, verify=True)
    assert isinstance(transport, AiohttpTransport)
    assert transport.limits.max_connections == 32


def test_httpx_default_transport_when_a_proxy_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # httpx then applies HTTPS_PROXY and NO_PROXY per URL, as users behind a proxy expect.
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.com:3128")
    assert network_transport(limits=LIMITS, verify=True) is None


def test_aiohttp_does_not_resend_requests_behind_the_retry_policy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import inspect

    import aiohttp

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("all_proxy", raising=False)
    transport = network_transport(limits=LIMITS, verify=True)
    assert isinstance(transport, AiohttpTransport)

    async def session_retries() -> bool:
        session = transport.get_client()
        try:
            return bool(session._retry_connection)
        finally:
            await session.close()

    assert asyncio.run(session_retries()) is False
    # The switch only works while aiohttp's request path still reads that attribute.
    assert "self._retry_connection" in inspect.getsource(aiohttp.ClientSession._request)


def _without_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_requests_go_to_the_transport_with_the_clients_headers_and_timeouts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """CDF's requests skip the httpx client's layers (see WorkflowsClient._send) but keep
    everything it would have added: the identifying headers, the token, the JSON body and the
    configured timeouts."""
    from cdf_client.client import WorkflowsClient
    from tests.support.sim import cdf_config_for

    _without_proxies(monkeypatch)
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"items": [{"id": "a", "createdTime": 1}]})

    config = cdf_config_for("https://cdf.example.com", token="t0ken", read_timeout=7.0)

    async def main() -> list[dict[str, object]]:
        async with WorkflowsClient(config, transport=httpx.MockTransport(answer)) as client:
            return [item async for page in client.list_executions() for item in page]

    assert asyncio.run(main()) == [{"id": "a", "createdTime": 1}]
    (request,) = seen
    assert (
        request.url
        == "https://cdf.example.com/api/v1/projects/test-project/workflows/executions/list"
    )
    assert request.headers["authorization"] == "Bearer t0ken"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["cdf-version"] == "20230101"
    assert request.headers["x-cdp-app"] == config.client_name
    assert request.headers["x-cdp-sdk"].startswith("cdf-workflow-analytics/")
    assert orjson.loads(request.content) == {"filter": {}, "limit": 1000}
    assert request.extensions["timeout"]["read"] == 7.0
    assert request.extensions["timeout"]["pool"] is None


def test_behind_a_proxy_requests_go_through_httpx_and_its_no_proxy_rule(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a proxy configured the client keeps httpx's own transport, which reads NO_PROXY
    per URL: a simulator on loopback is reached directly, the proxy (which does not exist)
    never."""
    from cdf_client.client import WorkflowsClient
    from cdf_simulator import Simulator, run_server
    from tests.support.sim import cdf_config_for
    from tests.support.simulator_api import small_config

    _without_proxies(monkeypatch)
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    sim = Simulator(small_config())
    with run_server(sim) as url:

        async def main() -> tuple[int, bytes | None]:
            async with WorkflowsClient(cdf_config_for(url, project=sim.config.project)) as client:
                assert client._transport is None  # httpx's own transport, proxies and all
                ids = [item["id"] async for page in client.list_executions() for item in page]
                answers = [a async for a in client.retrieve_detailed_many(ids[:3])]
                return len(ids), answers[0][1]

        listed, body = asyncio.run(main())
    assert listed == sim.world.count_visible(sim.clock.now_ms())
    assert body is not None and orjson.loads(body)["id"]
