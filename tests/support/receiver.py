"""A real HTTP receiver on 127.0.0.1 for the alert tests: a small server in a thread that keeps
every request it gets and answers with the status the test sets."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Receiver:
    url: str
    status: int = 200
    requests: list[Received] = field(default_factory=list)

    def bodies(self) -> list[Any]:
        return [r.body for r in self.requests]

    def clear(self) -> None:
        self.requests.clear()


@contextmanager
def receiver(path: str = "/hooks/alerts") -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            raw = self.rfile.read(length)
            state.requests.append(
                Received(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, orjson.loads(raw)
                )
            )
            self.send_response(state.status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}{path}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
