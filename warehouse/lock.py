"""One writer at a time: an exclusive advisory lock next to the DuckDB file.

DuckDB allows a single writing process per database file and fails at once for a second one.
This lock turns that into a queue: a second ingest or backfill waits (up to a timeout) for the
first to finish, then stops with a message that says who holds the lock.
"""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from types import TracebackType


class WarehouseBusyError(RuntimeError):
    """Another process kept the warehouse write lock past the timeout."""


class WriterLock:
    def __init__(self, directory: Path, *, timeout_s: float = 600.0, poll_s: float = 0.2) -> None:
        self.path = directory / "workflows.duckdb.lock"
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self._fd: int | None = None

    def _holder(self) -> str:
        try:
            return self.path.read_text().strip() or "unknown"
        except OSError:
            return "unknown"

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise WarehouseBusyError(
                        f"the warehouse at {self.path.parent} is being written by another run "
                        f"({self._holder()}); waited {self.timeout_s:.0f} s, try again later"
                    ) from None
                time.sleep(self.poll_s)
        os.ftruncate(fd, 0)
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        os.write(fd, f"pid {os.getpid()} since {since}".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            # The lock goes with the descriptor; a killed process releases it too.
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
