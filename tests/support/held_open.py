"""A DuckDB file held open by another process, as an ingest or a notebook holds it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_HOLD = (
    "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == 'read'); "
    "print('open', flush=True); sys.stdin.read()"
)


@contextmanager
def held_open(database: Path, *, read_only: bool = False) -> Iterator[None]:
    """While inside, another process has ``database`` open (for writing unless ``read_only``);
    it closes the file when the block ends."""
    mode = "read" if read_only else "write"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(database), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        yield
    finally:
        holder.communicate("")
