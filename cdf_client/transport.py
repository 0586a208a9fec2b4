"""The HTTP transport the client hands its requests to.

The client speaks httpx everywhere (requests, responses, errors, tests' ``ASGITransport``); only
the connection layer below it is chosen here. Requests to CDF go to it directly, not through
``httpx.AsyncClient``'s own layers (see ``WorkflowsClient._send``). For the network it is
aiohttp's (through ``httpx-aiohttp``): its C HTTP parser and connection pool cost clearly less
CPU per request than httpcore's (benchmarks/RESULTS.md), and the ingest's event loop is
CPU-bound once its requests in flight reach the concurrency cap.

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
        # aiohttp re-sends an idempotent request (our detail GETs) once, unseen, when a
        # kept-alive connection drops. The client's retry policy does that itself, with backoff,
        # within its budget, and counts it in the run's retries: two layers of retries would
        # hide the faults, and the run's retry count would no longer match what the server saw
        # (the reliability tests check that it does). aiohttp offers no public switch; its
        # maintainers chose a private attribute, which aiohttp's own test client sets the same
        # way (https://github.com/aio-libs/aiohttp/issues/9141). The transport tests fail if a
        # new aiohttp stops reading it.
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
