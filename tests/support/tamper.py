"""A test-only ASGI wrapper around the simulator app that serves bad data at the transport.

It rewrites the JSON of list answers (``rewrite_list(page_number, body) -> body``) and answers
detail requests for chosen ids itself (``details[id] = bytes``), so the client, the ingest and
the warehouse see hostile input through real HTTP semantics, with none of our code mocked.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import uvicorn

from cdf_simulator.middleware import API_PREFIX

ListRewrite = Callable[[int, Any], Any]


class Tamper:
    def __init__(
        self,
        app: Any,
        *,
        rewrite_list: ListRewrite | None = None,
        details: dict[str, bytes] | None = None,
    ) -> None:
        self.app = app
        self.rewrite_list = rewrite_list
        self.details = details or {}
        self.list_pages = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]  # percent-decoded by the server
        marker = "/workflows/executions/"
        if scope["method"] == "GET" and marker in path:
            execution_id = path.split(marker, 1)[1]
            if execution_id in self.details:
                await _answer(send, 200, self.details[execution_id])
                return
        if path.endswith("/workflows/executions/list") and self.rewrite_list is not None:
            await self._rewritten(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _rewritten(self, scope: Any, receive: Any, send: Any) -> None:
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        if start.get("status") == 200:
            self.list_pages += 1
            new = self.rewrite_list(self.list_pages, orjson.loads(body))  # type: ignore[misc]
            body = new if isinstance(new, bytes) else orjson.dumps(new)
        await _answer(send, start.get("status", 500), body)


async def _answer(send: Any, status: int, body: bytes) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", b"tamper"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@contextlib.contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """Serve an ASGI app (e.g. a ``Tamper``) with uvicorn on a free 127.0.0.1 port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
