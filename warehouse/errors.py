"""One line for an error the user reads.

DuckDB's messages name the error on their first line and add advice on the lines after it
(several, for its memory cap); the command line, the Dagster failure and a failed check each
show the first line only. A message can also be empty, and then the error's type says most.
"""

from __future__ import annotations

import duckdb


def first_line(text: str, fallback: str) -> str:
    """The first non-blank line of ``text``, or ``fallback`` when it has none."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return fallback


def error_line(exc: BaseException) -> str:
    """The first line of an exception's message, or its type's name when the message is empty."""
    return first_line(str(exc), type(exc).__name__)


def duckdb_failure(exc: duckdb.Error) -> str:
    """One line for a failure of the warehouse's own DuckDB; for its memory cap, what to set."""
    first = error_line(exc)
    if isinstance(exc, duckdb.OutOfMemoryException):
        return (
            f"the warehouse's DuckDB ran out of its memory cap ({first}): set "
            "WAREHOUSE_DUCKDB_MEMORY higher, e.g. 2GB"
        )
    return f"the warehouse's DuckDB failed: {first}"


# DuckDB lets no other process open the file, even to read, while one writes it.
BEING_WRITTEN = (
    "the warehouse is being written by another process (an ingest); try again when it "
    "finishes, or read its Parquet files meanwhile"
)


def is_lock_conflict(exc: BaseException) -> bool:
    """Whether DuckDB refused to open the file because another process holds it; its other
    I/O errors (a full disk, a damaged file) are not a busy warehouse."""
    return isinstance(exc, duckdb.IOException) and "Conflicting lock" in str(exc)
