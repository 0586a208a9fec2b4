"""Serving the app with uvicorn: in a background thread (tests) or blocking (CLI)."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn

from .app import create_app
from .config import SimulatorConfig
from .faults import SimulatedConnectionDrop
from .simulator import Simulator


class _HideSimulatedDrops(logging.Filter):
    """Dropped connections are intended; keep their tracebacks out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, SimulatedConnectionDrop)


def _uvicorn_config(
    sim: Simulator, host: str, port: int, log_level: str, access_log: bool
) -> uvicorn.Config:
    logging.getLogger("uvicorn.error").addFilter(_HideSimulatedDrops())
    return uvicorn.Config(
        create_app(sim),
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        lifespan="off",
        timeout_keep_alive=30,
        backlog=2048,
    )


@contextlib.contextmanager
def run_server(
    sim: Simulator, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning"
) -> Iterator[str]:
    """Run uvicorn in a daemon thread and yield its base URL; stops it on exit."""
    sock = bind(host, port)
    actual_port = sock.getsockname()[1]
    server = uvicorn.Server(_uvicorn_config(sim, host, actual_port, log_level, access_log=False))
    # Signal handlers can only be installed from the main thread.
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(
        target=server.run,
        kwargs={"sockets": [sock]},
        daemon=True,
        name=f"cdf-simulator-{actual_port}",
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("simulator server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{actual_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve(
    config: SimulatorConfig,
    host: str = "127.0.0.1",
    port: int = 8765,
    log_level: str = "warning",
    access_log: bool = False,
    sim: Simulator | None = None,
) -> None:
    """Serve until interrupted (Ctrl-C / SIGTERM)."""
    serve_socket(sim or Simulator(config), bind(host, port), log_level, access_log)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (0: any free port) for :func:`serve_socket`;
    raises OSError (port in use, not allowed) before anything is printed or served."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def cannot_listen(host: str, port: int, exc: OSError) -> str:
    """The one line for a port :func:`bind` could not take, for the commands that serve."""
    return (
        f"the simulator cannot listen on {host}:{port} ({exc.strerror}); choose another "
        "--port, or 0 for any free one"
    )


def serve_socket(
    sim: Simulator, sock: socket.socket, log_level: str = "warning", access_log: bool = False
) -> None:
    """Serve on a socket from :func:`bind` until interrupted (Ctrl-C / SIGTERM)."""
    host, port = sock.getsockname()[:2]
    config = _uvicorn_config(sim, host, port, log_level, access_log)
    uvicorn.Server(config).run(sockets=[sock])
