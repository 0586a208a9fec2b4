"""The DuckDB file comes into being whole, or not at all.

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
