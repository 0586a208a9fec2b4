"""The HTTP transport under the client's ``httpx.AsyncClient``.

The client speaks httpx everywhere (requests, responses, errors, tests' ``ASGITransport``); only
the connection layer below it is chosen here. For the network it is aiohttp's (through
``httpx-aiohttp``): its C HTTP parser and connection pool cost a third less CPU per request
than httpcore's, measured on a 10k-execution ingest (14.4 s of CPU instead of 22.5 s), and the
ingest's event loop is CPU-bound once 16 requests are in flight.

When the environment configures a proxy (``HTTPS_PROXY``, ``ALL_PROXY``...), httpx's own
transport is kept: httpx resolves proxies and ``NO_PROXY`` per URL (the token endpoint is often
on another host than CDF), and aiohttp would do that lookup in a thread for every request.
"""

from __future__ import annotations

import urllib.request

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

# aiohttp's failure -> the httpx error that names it (first match wins; subclasses first).
# httpx-aiohttp's own table reports a refused connection or a dropped one as a ConnectTimeout,
# which would send an operator looking for the wrong problem.
_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientPayloadError, httpx.ReadError),
    (aiohttp.ClientOSError, httpx.ReadError),
)


class _AiohttpTransport(AiohttpTransport):
    def get_client(self) -> aiohttp.ClientSession:
        session = super().get_client()
        # aiohttp re-sends an idempotent request once, unseen, when a kept-alive connection
        # drops. The client's retry policy does that itself, with backoff, within its budget,
        # and counts it in the run's retries; two layers of retries would hide the faults.
        session._retry_connection = False
        return session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except httpx.TransportError as exc:
            cause = exc.__cause__
            for source, target in _ERRORS:
                if isinstance(cause, source):
                    raise target(str(cause) or type(cause).__name__, request=request) from cause
            raise


def environment_proxies() -> dict[str, str]:
    """Proxy settings found in the environment (scheme -> URL), as urllib reads them."""
    return {k: v for k, v in urllib.request.getproxies_environment().items() if k != "no"}


def network_transport(*, limits: httpx.Limits, verify: bool) -> httpx.AsyncBaseTransport | None:
    """The transport for real network requests; None lets httpx build its default one."""
    if environment_proxies():
        return None
    return _AiohttpTransport(limits=limits, verify=verify)
