"""The DuckDB file: it comes into being whole or not at all, and every connection is set alike.

DuckDB writes a new file's headers after creating it. A first run killed in between would leave
a file that every later run refuses ("exists, but it is not a valid DuckDB database file"), and
the nightly would stay red until someone deleted it by hand. So a new file is made under a
temporary name and renamed into place once DuckDB has closed it; a temporary left by a killed
run is made again.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

CREATING_SUFFIX = ".creating"


def create_if_missing(path: Path) -> None:
    """Make an empty, valid DuckDB file at ``path`` unless one is there."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + CREATING_SUFFIX)
    for leftover in (temporary, temporary.with_name(temporary.name + ".wal")):
        leftover.unlink(missing_ok=True)
    duckdb.connect(str(temporary)).close()
    with open(temporary, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def connect(path: Path, read_only: bool, memory_limit: str | None) -> duckdb.DuckDBPyConnection:
    """A connection to the file with the session settings every warehouse connection has;
    closed again (its file lock released) when a setting is refused."""
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        # Not via connect(config=...): the setting needs the ICU extension, which DuckDB loads
        # on the first SET but not while the connection is being configured.
        con.execute("SET TimeZone = 'UTC'")
        # An operator's cap for machines shared with other work; DuckDB then spills what it can
        # to disk.
        if memory_limit is not None:
            con.execute("SET memory_limit = ?", [memory_limit])
        # DuckDB's allocator keeps memory per thread after a task by default; the ingest, the
        # checks and the views run one after another in one process, and what one step kept
        # raised the next one's peak.
        con.execute("SET allocator_flush_threshold = '32MB'")
        con.execute("SET allocator_background_threads = true")
    except BaseException:
        con.close()
        raise
    return con
