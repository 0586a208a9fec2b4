"""Async httpx client for the CDF Data Workflows API: auth, retries, paging, concurrency."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx
import orjson
from tenacity import RetryError

from cdf_client import __version__
from cdf_client.answers import error_message, page_of, retry_after_seconds
from cdf_client.auth import ClientCredentials, StaticToken, TokenProvider
from cdf_client.config import CdfConfig
from cdf_client.errors import (
    RETRYABLE_STATUSES,
    AccessError,
    AuthError,
    CdfApiError,
    RetryableError,
    SourceUnavailableError,
)
from cdf_client.limiter import AdaptiveLimiter
from cdf_client.retry_policy import RetryPolicy
from cdf_client.stats import RequestStats
from cdf_client.transport import network_transport

MAX_PAGE_SIZE = 1000


def _first_error(group: BaseExceptionGroup[Exception]) -> Exception:
    """The error that ended a task group: the first one raised, as it was raised."""
    first = group.exceptions[0]
    return _first_error(first) if isinstance(first, BaseExceptionGroup) else first


class WorkflowsClient:
    """Reads workflow executions from one CDF project.

    Use as ``async with WorkflowsClient(config) as client: ...``. ``transport`` lets tests and
    the embedded simulator run in-process (``httpx.ASGITransport``).
    """

    def __init__(
        self,
        config: CdfConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        seed: int | None = None,
        stats: RequestStats | None = None,
    ) -> None:
        self.config = config
        # Shared when given: several clients of one run add up to one account of its requests.
        self.stats = stats if stats is not None else RequestStats()
        self.limiter = AdaptiveLimiter(config.concurrency)
        self._retry = RetryPolicy(config, self.stats, random.Random(seed))
        self._auth: TokenProvider
        if config.token is not None:
            self._auth = StaticToken(config.token)
        else:
            self._auth = ClientCredentials(
                config.token_url or "",
                config.client_id or "",
                config.client_secret or "",
                config.scopes,
            )
        limits = httpx.Limits(
            max_connections=max(config.concurrency * 2, 8),
            max_keepalive_connections=max(config.concurrency * 2, 8),
        )
        if transport is None:
            transport = network_transport(limits=limits, verify=config.verify_tls)
        # No pool timeout: the limiter keeps requests in flight below the connection count,
        # and the aiohttp transport would apply it to connecting as well, so that a short read
        # timeout failed slow-but-sound connects.
        timeout = httpx.Timeout(config.read_timeout, connect=config.connect_timeout, pool=None)
        self._headers = {
            "x-cdp-app": config.client_name,
            "x-cdp-sdk": f"cdf-workflow-analytics/{__version__}",
            "cdf-version": "20230101",
        }
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            limits=limits,
            verify=config.verify_tls,
            headers=self._headers,
        )
        # CDF's requests go straight to the transport (see _send); None: through the client,
        # whose own transport applies the environment's proxies per URL.
        self._transport = transport
        self._extensions = {"timeout": timeout.as_dict()}

    async def __aenter__(self) -> WorkflowsClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- one request, with auth and retries -------------------------------------------------

    async def _send_once(
        self, kind: str, method: str, url: str, body: dict[str, Any] | None
    ) -> httpx.Response:
        """One attempt; a 401 refreshes the token and tries once more within the attempt."""
        if self.stats.first_request_at is None:
            self.stats.first_request_at = time.time()
        for refreshed in (False, True):
            token = await self._auth.token(self._http)
            headers = {"Authorization": f"Bearer {token}"}
            content = None
            if body is not None:
                content = orjson.dumps(body)
                headers["Content-Type"] = "application/json"
            self.stats.requests[kind] += 1
            try:
                response = await self._send(method, url, content, headers)
            except httpx.TransportError as exc:
                raise RetryableError(f"{kind} request failed: {type(exc).__name__}") from None
            self.stats.statuses[response.status_code] += 1
            if response.status_code == 401 and not refreshed:
                self.stats.token_refreshes_on_401 += 1
                self._auth.invalidate()
                continue
            return response
        raise AssertionError("unreachable")

    async def _send(
        self, method: str, url: str, content: bytes | None, headers: dict[str, str]
    ) -> httpx.Response:
        """One request to CDF, its body read.

        The transport is called directly: CDF needs none of the client's redirects, cookies
        or per-request merging of settings, and at thousands of requests a run the client's
        layers cost the event loop as much CPU as the transport itself.
        """
        if self._transport is None:
            return await self._http.request(method, url, content=content, headers=headers)
        request = httpx.Request(
            method,
            url,
            headers={**self._headers, **headers},
            content=content,
            extensions=self._extensions,
        )
        response = await self._transport.handle_async_request(request)
        response.request = request
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    async def _request(
        self,
        kind: str,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        limiter: AdaptiveLimiter | None = None,
        allow_not_found: bool = False,
    ) -> httpx.Response | None:
        url = f"{self.config.api_root}{path}"
        try:
            async for attempt in self._retry.attempts():
                with attempt:
                    if limiter is None:
                        response = await self._send_once(kind, method, url, body)
                    else:
                        async with limiter:
                            response = await self._send_once(kind, method, url, body)
                    return self._check(response, kind, limiter, allow_not_found)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            attempts = exc.last_attempt.attempt_number
            if isinstance(last, RetryableError) and last.source != "CDF":
                raise SourceUnavailableError(
                    f"{last.source} did not answer after {attempts} attempts ({last}); giving up"
                ) from None
            raise SourceUnavailableError(
                f"CDF at {self.config.base_url} did not answer {kind} requests after {attempts} "
                f"attempts ({last}); giving up"
            ) from None
        raise AssertionError("unreachable")

    def _check(
        self,
        response: httpx.Response,
        kind: str,
        limiter: AdaptiveLimiter | None,
        allow_not_found: bool,
    ) -> httpx.Response | None:
        status = response.status_code
        if status < 300:
            if limiter is not None:
                limiter.succeeded()
            return response
        auto = response.headers.get("cdf-is-auto-retryable", "").lower() == "true"
        if status in RETRYABLE_STATUSES or auto:
            if status == 429:
                self.stats.throttled += 1
                if limiter is not None:
                    limiter.throttled()
            raise RetryableError(
                f"{kind} answered {status}",
                status=status,
                retry_after=retry_after_seconds(response),
            )
        request_id = response.headers.get("x-request-id")
        if status == 401:
            raise AuthError(
                f"CDF rejected the token for project {self.config.project!r} (401): check the "
                "client credentials, IDP_SCOPES and that the token is for this cluster"
            )
        if status == 403:
            raise AccessError(
                f"no access to CDF project {self.config.project!r} (403): the credentials need "
                "workflowOrchestrationAcl:READ in this project"
            )
        if allow_not_found and status in (400, 404):
            self.stats.not_found += 1
            return None
        raise CdfApiError(status, error_message(response), request_id=request_id)

    # -- endpoints ---------------------------------------------------------------------------

    async def check_access(self) -> None:
        """One small list request: raises AuthError, AccessError, SourceUnavailableError (after
        the retry budget) or CdfApiError when the project cannot be read, before any work."""
        response = await self._request(
            "list", "POST", "/workflows/executions/list", {"filter": {}, "limit": 1}
        )
        assert response is not None
        page_of(response, "list")

    async def list_executions(
        self,
        *,
        created_time_start: int | None = None,
        created_time_end: int | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield pages of execution summaries, following ``nextCursor`` until it ends.

        Every parameter but the cursor stays the same between pages, as the API requires.
        """
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}")
        filter_: dict[str, Any] = {}
        if created_time_start is not None:
            filter_["createdTimeStart"] = int(created_time_start)
        if created_time_end is not None:
            filter_["createdTimeEnd"] = int(created_time_end)
        cursor: str | None = None
        while True:
            body: dict[str, Any] = {"filter": filter_, "limit": page_size}
            if cursor:
                body["cursor"] = cursor
            # Under the same limiter as the details: pages are listed while details are
            # fetched, and a request past the server's concurrency cap is answered with 429.
            response = await self._request(
                "list", "POST", "/workflows/executions/list", body, limiter=self.limiter
            )
            assert response is not None
            items, cursor = page_of(response, "list")
            yield items
            if not cursor:
                return

    async def _retrieve(self, execution_id: str) -> bytes | None:
        response = await self._request(
            "detail",
            "GET",
            # Ids come from the list answer: encoded, so no id can change the path it asks.
            f"/workflows/executions/{quote(execution_id, safe='')}",
            limiter=self.limiter,
            allow_not_found=True,
        )
        return None if response is None else response.content

    async def retrieve_detailed_many(
        self,
        execution_ids: Iterable[str] | AsyncIterable[str],
        *,
        buffer: int | None = None,
    ) -> AsyncIterator[tuple[str, bytes | None]]:
        """Yield ``(id, body)`` as the answers arrive (not in input order): each execution's
        detail as received, None when CDF no longer has it (400/404). The body is not decoded
        here: the caller decodes it into its own types, and rejects what is not an execution.

        ``execution_ids`` may be an async iterable, so listing and fetching overlap. Each id is
        fetched by a task of its own, at most ``config.concurrency`` at once; the adaptive
        limiter keeps fewer requests in flight after 429 answers. At most ``buffer`` results
        wait for the consumer, so memory stays bounded. The first error ends the fetch and is
        raised here as it is.
        """
        width = self.config.concurrency
        results: asyncio.Queue[tuple[str, bytes | None] | Exception | None] = asyncio.Queue(
            maxsize=buffer or width * 4
        )
        # Ids are read ahead of the fetches, so the next list page is asked for while the
        # current one's details are still being fetched.
        ids: asyncio.Queue[str | None] = asyncio.Queue(maxsize=width * 2)
        slots = asyncio.Semaphore(width)

        async def read_ids() -> None:
            if isinstance(execution_ids, AsyncIterable):
                async for execution_id in execution_ids:
                    await ids.put(execution_id)
            else:
                for execution_id in execution_ids:
                    await ids.put(execution_id)
            await ids.put(None)

        async def fetch(execution_id: str) -> None:
            try:
                await results.put((execution_id, await self._retrieve(execution_id)))
            finally:
                slots.release()

        async def fetch_all() -> None:
            try:
                async with asyncio.TaskGroup() as group:
                    group.create_task(read_ids())
                    while (execution_id := await ids.get()) is not None:
                        await slots.acquire()
                        group.create_task(fetch(execution_id))
            except ExceptionGroup as failed:
                await results.put(_first_error(failed))
                return
            await results.put(None)

        running = asyncio.create_task(fetch_all())
        try:
            while (item := await results.get()) is not None:
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            # The consumer stopped early or failed: the fetches still running are not wanted.
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)

    async def _list_paged_get(self, kind: str, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = f"?limit={MAX_PAGE_SIZE}" + (
                f"&cursor={quote(cursor, safe='')}" if cursor else ""
            )
            # Under the same limiter as the details: trigger histories are read while the
            # details are fetched, and together they must stay under the server's cap.
            response = await self._request(kind, "GET", path + query, limiter=self.limiter)
            assert response is not None
            page_items, cursor = page_of(response, kind)
            items.extend(page_items)
            if not cursor:
                return items

    async def list_triggers(self) -> list[dict[str, Any]]:
        return await self._list_paged_get("triggers", "/workflows/triggers")

    async def list_trigger_runs(self, external_id: str) -> list[dict[str, Any]]:
        """Every run in a trigger's history (the endpoint has no time filter)."""
        path = f"/workflows/triggers/{quote(external_id, safe='')}/history"
        return await self._list_paged_get("trigger_history", path)
