"""Raw ASGI layer: request ids, counters, and fault injection in front of the routes.

Written as plain ASGI (not BaseHTTPMiddleware) to keep per-request overhead small and to be able
to drop a connection for real under uvicorn.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import orjson

from .faults import SimulatedConnectionDrop
from .simulator import Simulator

Scope = dict[str, Any]
API_PREFIX = "/api/v1/projects/"
_request_numbers = itertools.count(1)


def classify(method: str, path: str) -> str:
    """The endpoint kind a request is counted under."""
    if path.endswith("/oauth2/token"):
        return "token"
    if path.startswith("/_simulator"):
        return "control"
    if not path.startswith(API_PREFIX):
        return "other"
    rest = path[len(API_PREFIX) :].split("/", 1)[-1]
    if rest == "workflows/executions/list":
        return "list"
    if rest.startswith("workflows/executions/"):
        return "detail"
    if rest == "workflows":
        return "workflows"
    if rest == "workflows/versions/list":
        return "versions"
    if rest.startswith("workflows/triggers/") and rest.endswith("/history"):
        return "trigger_history"
    if rest.startswith("workflows/triggers"):
        return "triggers"
    return "other"


def error_body(status: int, message: str) -> bytes:
    return orjson.dumps({"error": {"code": status, "message": message}})


def _abort_socket(send: Any) -> bool:
    """Close the client's socket without a response, when the server exposes it (uvicorn)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(transport, "abort"):
        return False
    transport.abort()
    # Tell uvicorn the client is gone so it does not try to answer 500 on a closed socket.
    if hasattr(cycle, "disconnected"):
        cycle.disconnected = True
    return True


class SimulatorMiddleware:
    def __init__(self, app: Any, sim: Simulator) -> None:
        self.app = app
        self.sim = sim

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sim = self.sim
        path: str = scope["path"]
        kind = classify(scope["method"], path)
        sim.stats.request(kind)
        request_id = f"sim-{sim.config.seed}-{next(_request_numbers):08d}"

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
                sim.stats.response(message["status"])
            await send(message)

        if not path.startswith(API_PREFIX):
            await self.app(scope, receive, send_with_id)
            return
        in_flight = sim.stats.enter()
        try:
            faults = sim.fault_config
            if faults.max_concurrent and in_flight > faults.max_concurrent:
                sim.stats.fault("concurrency_429")
                await self._error(
                    send_with_id,
                    429,
                    "Too many concurrent requests",
                    [(b"retry-after", str(faults.retry_after_s).encode())],
                )
                return
            decision = sim.faults.decide()
            wait_ms = faults.latency_ms + decision.delay_ms
            if decision.delay_ms:
                sim.stats.fault("slow")
            if decision.drop:
                await asyncio.sleep(wait_ms / 1000)
                sim.stats.fault("drop")
                if not _abort_socket(send):
                    raise SimulatedConnectionDrop()
                return
            if decision.status is not None:
                await asyncio.sleep(wait_ms / 1000)
                sim.stats.fault(str(decision.status))
                extra = (
                    [(b"retry-after", str(faults.retry_after_s).encode())]
                    if decision.status == 429
                    else []
                )
                await self._error(
                    send_with_id,
                    decision.status,
                    "Simulated fault" if decision.status != 429 else "Too many requests",
                    extra,
                )
                return
            if wait_ms:
                await self._answer_after(wait_ms, scope, receive, send_with_id)
                return
            await self.app(scope, receive, send_with_id)
        finally:
            sim.stats.leave()

    async def _answer_after(self, latency_ms: int, scope: Scope, receive: Any, send: Any) -> None:
        """Answer ``latency_ms`` after the request arrived, the answer built meanwhile.

        A remote API's round trip includes its own time to build the answer, on its own
        machines. Sleeping first and building after would add the simulator's CPU time to
        every answer, and requests arriving together would queue for its one event loop, so
        that every client's measured round trip held the simulator's queue as well.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + latency_ms / 1000
        held: list[dict[str, Any]] = []

        async def hold(message: dict[str, Any]) -> None:
            held.append(message)

        await self.app(scope, receive, hold)
        remaining = deadline - loop.time()
        if remaining > 0:
            await asyncio.sleep(remaining)
        for message in held:
            await send(message)

    @staticmethod
    async def _error(
        send: Any, status: int, message: str, extra_headers: list[tuple[bytes, bytes]]
    ) -> None:
        body = error_body(status, message)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *extra_headers,
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
