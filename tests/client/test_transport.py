"""Which connection layer the client uses for the network (see cdf_client.transport)."""

from __future__ import annotations

import httpx
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
    import asyncio
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
