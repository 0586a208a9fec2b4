"""Async httpx client for the CDF Data Workflows API: auth, retries, paging, concurrency."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx
import orjson
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    RetryError,
    retry_if_exception_type,
)

from cdf_client import __version__
from cdf_client.auth import ClientCredentials, StaticToken, TokenProvider
from cdf_client.config import CdfConfig
from cdf_client.errors import (
    AccessError,
    AuthError,
    CdfApiError,
    RetryableError,
    SourceUnavailableError,
)
from cdf_client.limiter import AdaptiveLimiter
from cdf_client.transport import network_transport

log = logging.getLogger(__name__)

# Our calls only read, so retrying a 500 is safe too (the SDK does not, for writes' sake).
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_PAGE_SIZE = 1000


@dataclass
class RequestStats:
    """What the client did, for run metadata and for tests that count requests."""

    requests: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    throttled: int = 0
    token_refreshes_on_401: int = 0
    not_found: int = 0
    statuses: Counter[int] = field(default_factory=Counter)

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "total_requests": self.total_requests,
            "retries": self.retries,
            "throttled": self.throttled,
            "token_refreshes_on_401": self.token_refreshes_on_401,
            "not_found": self.not_found,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


@dataclass(frozen=True)
class MalformedDetail:
    """A detail answer (200) whose body is not an execution: kept for the rejection record.

    One bad record must not stop the run; the caller stores it as rejected and goes on.
    """

    raw: str
    problem: str


def _retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # An HTTP-date form: fall back to our own backoff.


def _error_message(response: httpx.Response) -> str:
    try:
        body = orjson.loads(response.content)
        message = body["error"]["message"]
        return str(message)[:500]
    except Exception:
        return response.reason_phrase or "no error message"


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
        self._random = random.Random(seed)
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
        self._http = httpx.AsyncClient(
            transport=transport,
            # No pool timeout: the limiter keeps requests in flight below the connection
            # count, and the aiohttp transport would apply it to connecting as well, so that a
            # short read timeout failed slow-but-sound connects.
            timeout=httpx.Timeout(config.read_timeout, connect=config.connect_timeout, pool=None),
            limits=limits,
            verify=config.verify_tls,
            headers={
                "x-cdp-app": config.client_name,
                "x-cdp-sdk": f"cdf-workflow-analytics/{__version__}",
                "cdf-version": "20230101",
            },
        )

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

    def _wait(self, state: RetryCallState) -> float:
        """Full-jitter exponential backoff, never shorter than the server's Retry-After."""
        exc = state.outcome.exception() if state.outcome else None
        cap = self.config.max_backoff_seconds
        backoff = self._random.uniform(0, min(cap, 0.25 * 2 ** (state.attempt_number - 1)))
        if isinstance(exc, RetryableError) and exc.retry_after is not None:
            return max(min(exc.retry_after, cap), backoff)
        return backoff

    def _stop(self, state: RetryCallState) -> bool:
        """Give up when the time budget is spent, or after ``max_attempts`` failures.

        A 429 says "slower", not "broken": throttled attempts count a quarter, so a busy server
        does not use up the budget meant for outages (the time budget still bounds them).
        """
        if state.seconds_since_start >= self.config.max_retry_seconds:
            return True
        exc = state.outcome.exception() if state.outcome else None
        failures = getattr(state, "weighted_failures", 0.0)
        failures += 0.25 if isinstance(exc, RetryableError) and exc.status == 429 else 1.0
        state.weighted_failures = failures  # type: ignore[attr-defined]
        return failures >= self.config.max_attempts

    def _before_sleep(self, state: RetryCallState) -> None:
        self.stats.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        log.debug("retrying after %s (attempt %d)", exc, state.attempt_number)

    async def _send_once(
        self, kind: str, method: str, url: str, body: dict[str, Any] | None
    ) -> httpx.Response:
        """One attempt; a 401 refreshes the token and tries once more within the attempt."""
        for refreshed in (False, True):
            token = await self._auth.token(self._http)
            headers = {"Authorization": f"Bearer {token}"}
            content = None
            if body is not None:
                content = orjson.dumps(body)
                headers["Content-Type"] = "application/json"
            self.stats.requests[kind] += 1
            try:
                response = await self._http.request(method, url, content=content, headers=headers)
            except httpx.TransportError as exc:
                raise RetryableError(f"{kind} request failed: {type(exc).__name__}") from None
            self.stats.statuses[response.status_code] += 1
            if response.status_code == 401 and not refreshed:
                self.stats.token_refreshes_on_401 += 1
                self._auth.invalidate()
                continue
            return response
        raise AssertionError("unreachable")

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
        retrying = AsyncRetrying(
            stop=self._stop,
            wait=self._wait,
            retry=retry_if_exception_type(RetryableError),
            before_sleep=self._before_sleep,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    if limiter is None:
                        response = await self._send_once(kind, method, url, body)
                    else:
                        async with limiter:
                            response = await self._send_once(kind, method, url, body)
                    return self._check(response, kind, limiter, allow_not_found)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            raise SourceUnavailableError(
                f"CDF did not answer {kind} requests after {exc.last_attempt.attempt_number} "
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
                retry_after=_retry_after_seconds(response),
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
        raise CdfApiError(status, _error_message(response), request_id=request_id)

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise CdfApiError(
                response.status_code,
                "answer is not valid JSON",
                request_id=response.headers.get("x-request-id"),
            ) from None

    @classmethod
    def _page(cls, response: httpx.Response, kind: str) -> tuple[list[Any], str | None]:
        """A list answer's items and next cursor; anything else is a clear CdfApiError."""
        page = cls._json(response)
        request_id = response.headers.get("x-request-id")
        items = page.get("items") if isinstance(page, dict) else None
        if not isinstance(items, list):
            raise CdfApiError(
                response.status_code, f"{kind} answer has no items array", request_id=request_id
            )
        cursor = page.get("nextCursor")
        if cursor is not None and not isinstance(cursor, str):
            raise CdfApiError(
                response.status_code,
                f"{kind} answer has a nextCursor that is not a string",
                request_id=request_id,
            )
        return items, cursor or None

    # -- endpoints ---------------------------------------------------------------------------

    async def check_access(self) -> None:
        """One small list request: raises AuthError, AccessError, SourceUnavailableError (after
        the retry budget) or CdfApiError when the project cannot be read, before any work."""
        response = await self._request(
            "list", "POST", "/workflows/executions/list", {"filter": {}, "limit": 1}
        )
        assert response is not None
        self._page(response, "list")

    async def list_executions(
        self,
        *,
        created_time_start: int | None = None,
        created_time_end: int | None = None,
        statuses: Iterable[str] | None = None,
        workflow_filters: Iterable[dict[str, str]] | None = None,
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
        if statuses:
            filter_["status"] = list(statuses)
        if workflow_filters:
            filter_["workflowFilters"] = list(workflow_filters)
        cursor: str | None = None
        while True:
            body: dict[str, Any] = {"filter": filter_, "limit": page_size}
            if cursor:
                body["cursor"] = cursor
            # Under the same limiter as the details: pages are listed while details are
            # fetched, and a 17th request in flight is what a concurrency cap answers with 429.
            response = await self._request(
                "list", "POST", "/workflows/executions/list", body, limiter=self.limiter
            )
            assert response is not None
            items, cursor = self._page(response, "list")
            yield items
            if not cursor:
                return

    async def retrieve_detailed(self, execution_id: str) -> Any:
        """One execution in detail (the decoded JSON), None when CDF no longer has it (400/404),
        or a :class:`MalformedDetail` when the answer is not JSON."""
        return await self._retrieve(execution_id, None)

    async def _retrieve(
        self, execution_id: str, limiter: AdaptiveLimiter | None, decode: bool = True
    ) -> Any:
        response = await self._request(
            "detail",
            "GET",
            # Ids come from the list answer: encoded, so no id can change the path it asks.
            f"/workflows/executions/{quote(execution_id, safe='')}",
            limiter=limiter,
            allow_not_found=True,
        )
        if response is None:
            return None
        if not decode:
            return response.content
        try:
            detail = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            return MalformedDetail(response.content.decode("utf-8", "replace"), "not valid JSON")
        if detail is None:
            return MalformedDetail("null", "JSON null instead of an execution")
        return detail  # type: ignore[no-any-return]

    async def retrieve_detailed_many(
        self,
        execution_ids: Iterable[str] | AsyncIterable[str],
        *,
        buffer: int | None = None,
        decode: bool = True,
    ) -> AsyncIterator[tuple[str, Any]]:
        """Yield ``(id, detail or None)`` as they arrive (not in input order).

        ``decode=False`` yields each answer's body as received (bytes) instead of decoded JSON,
        for a caller that decodes it faster into its own types (the ingest does).

        ``execution_ids`` may be an async iterable, so listing and fetching overlap. At most
        ``config.concurrency`` requests are in flight, fewer after 429 answers; at most
        ``buffer`` results wait for the consumer, so memory stays bounded.
        """
        workers = self.config.concurrency
        todo: asyncio.Queue[str | None] = asyncio.Queue(maxsize=workers * 2)
        out: asyncio.Queue[tuple[str, Any] | Exception | None] = asyncio.Queue(
            maxsize=buffer or workers * 4
        )
        workers_left = workers

        async def feed() -> None:
            try:
                if isinstance(execution_ids, AsyncIterable):
                    async for execution_id in execution_ids:
                        await todo.put(execution_id)
                else:
                    for execution_id in execution_ids:
                        await todo.put(execution_id)
            except Exception as exc:
                await out.put(exc)
                raise
            # Only a finished feed ends the workers; a cancelled one is torn down by the caller.
            for _ in range(workers):
                await todo.put(None)

        async def work() -> None:
            nonlocal workers_left
            try:
                while (execution_id := await todo.get()) is not None:
                    detail = await self._retrieve(execution_id, self.limiter, decode)
                    await out.put((execution_id, detail))
            except Exception as exc:
                await out.put(exc)
                raise
            workers_left -= 1
            if workers_left == 0:
                await out.put(None)

        tasks = [asyncio.create_task(feed())]
        tasks += [asyncio.create_task(work()) for _ in range(workers)]
        try:
            while (item := await out.get()) is not None:
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _list_paged_get(self, kind: str, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = f"?limit={MAX_PAGE_SIZE}" + (
                f"&cursor={quote(cursor, safe='')}" if cursor else ""
            )
            # Under the same limiter as the details: trigger histories are read while the
            # details are fetched (without it, 32 requests were in flight against a cap of 16).
            response = await self._request(kind, "GET", path + query, limiter=self.limiter)
            assert response is not None
            page_items, cursor = self._page(response, kind)
            items.extend(page_items)
            if not cursor:
                return items

    async def list_workflows(self) -> list[dict[str, Any]]:
        return await self._list_paged_get("workflows", "/workflows")

    async def list_triggers(self) -> list[dict[str, Any]]:
        return await self._list_paged_get("triggers", "/workflows/triggers")

    async def list_trigger_runs(self, external_id: str) -> list[dict[str, Any]]:
        """Every run in a trigger's history (the endpoint has no time filter)."""
        path = f"/workflows/triggers/{quote(external_id, safe='')}/history"
        return await self._list_paged_get("trigger_history", path)
