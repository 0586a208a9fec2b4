"""One writer at a time: an exclusive advisory lock next to the DuckDB file.

DuckDB allows a single writing process per database file and fails at once for a second one.
This lock turns that into a queue: a second ingest or backfill waits (up to a timeout) for the
first to finish, then stops with a message that says who holds the lock. The lock is
:mod:`filelock`'s (``flock`` on one file that stays in place); the holder writes who it is into
that file, so a waiter that gives up can name it.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from filelock import FileLock, Timeout

from warehouse.layout import LOCK_FILE


class WarehouseBusyError(RuntimeError):
    """Another process kept the warehouse write lock past the timeout."""


class WarehouseUnwritableError(RuntimeError):
    """The warehouse directory cannot be created or written by this process."""


_SET_ANOTHER = "set WAREHOUSE_DIR to a directory this user can write"


def check_writable(directory: Path) -> None:
    """Raise :class:`WarehouseUnwritableError` when this process could not create or write
    ``directory``; leaves nothing behind (a command checks this before it starts)."""
    existing = directory
    # os.path, not Path: Path.exists raises where a parent cannot be searched.
    while not os.path.exists(existing) and existing != existing.parent:
        existing = existing.parent
    if not os.path.isdir(existing):
        problem = "is a file" if existing == directory else f"would be under the file {existing}"
    elif not os.access(existing, os.W_OK | os.X_OK):
        problem = "is not writable by this user"
        if existing != directory:
            problem = f"cannot be created: {existing} {problem}"
    else:
        refused = _refused(existing)
        if refused is None:
            return
        problem = "cannot be " + ("created" if existing != directory else "written")
        problem = f"{problem} ({refused})"
    raise WarehouseUnwritableError(f"the warehouse directory {directory} {problem}; {_SET_ANOTHER}")


def _refused(existing: Path) -> str | None:
    """Why this process cannot make a directory in ``existing``, or None. The permission bits
    do not tell on every file system (root "may" write in /sys or /proc, whose mkdir then
    fails): a directory of a name of its own is made there and removed again, so concurrent
    runs making the warehouse directory itself are not disturbed."""
    try:
        probe = tempfile.mkdtemp(dir=existing, prefix=".workflow-analytics-probe-")
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    os.rmdir(probe)
    return None


def writable_directory(directory: Path) -> Path:
    """``directory``, created when missing. Raises :class:`WarehouseUnwritableError` at once
    when this process cannot write there: waiting or retrying would not change it."""
    check_writable(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarehouseUnwritableError(
            f"the warehouse directory {directory} cannot be created ({exc.strerror}); "
            f"{_SET_ANOTHER}"
        ) from None
    return directory


def _write_holder(fd: int) -> None:
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"pid {os.getpid()} since {since}".encode(), 0)


class WriterLock:
    def __init__(self, directory: Path, *, timeout_s: float = 600.0, poll_s: float = 0.2) -> None:
        self.path = directory / LOCK_FILE
        self.timeout_s = timeout_s
        # Not thread-local and not shared: each WriterLock is its own holder, so two threads of
        # one process queue on the file exactly as two processes do.
        self._lock = FileLock(
            self.path,
            poll_interval=poll_s,
            thread_local=False,
            preserve_lock_file=True,
            on_acquired=_write_holder,
        )

    def _holder(self) -> str:
        try:
            return self.path.read_text().strip() or "unknown"
        except OSError:
            return "unknown"

    def acquire(self) -> None:
        writable_directory(self.path.parent)
        try:
            self._lock.acquire(timeout=self.timeout_s)
        except Timeout:
            raise WarehouseBusyError(
                f"the warehouse at {self.path.parent} is being written by another run "
                f"({self._holder()}); waited {self.timeout_s:.0f} s, try again later"
            ) from None

    def release(self) -> None:
        # The lock goes with the descriptor; a killed process releases it too.
        if self._lock.is_locked:
            self._lock.release(force=True)

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()
