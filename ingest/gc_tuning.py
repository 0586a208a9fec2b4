"""Process-wide memory tuning for the ingest; applied by the process's entry points.

These settings act on the whole interpreter, not on one function, so library code never sets
them: the ingest asset's body wraps its run in :func:`tuned_for_ingest` (the step is the process's
work, whether Dagster runs it in a process of its own or the command line runs the job in its
own process), and the command line's ``main`` ends its process without the interpreter's teardown.

Python's cyclic garbage collector: each request leaves objects in reference cycles (httpx
responses and tenacity's retry state), which only the collector frees, while the writer builds a
row per task. With the default thresholds the collector runs every 700 allocations and keeps
promoting live rows into the older generations, whose collections then re-scan them and every
imported module's objects (Dagster's, polars', DuckDB's): a large share of the ingest's CPU
(benchmarks/RESULTS.md). So, for the ingest: what exists before it (modules, configuration) is
frozen out of collection, and the youngest generation is collected every 10,000 allocations
instead of 700. Request garbage still dies young and is freed there, so memory stays bounded on
runs of any length.

Afterwards the freed memory is handed back to the operating system (glibc keeps it otherwise):
the views and checks that run next in the same process then start from a smaller footprint.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

INGEST_THRESHOLDS = (10_000, 10, 10)


@contextmanager
def tuned_for_ingest() -> Iterator[None]:
    """Collector settings for the ingest (see module doc), restored afterwards."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*INGEST_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        # Frozen objects are never freed; give them back to the collector (DuckDB's extension
        # module also reports objects still frozen at exit as leaks). They go to the oldest
        # generation; the two younger ones are collected here, and what the ingest left in the
        # oldest waits for the collector's next full pass: a full pass now would traverse every
        # object of every imported module.
        gc.unfreeze()
        gc.collect(1)
        release_free_memory()


def release_free_memory() -> bool:
    """Return free heap pages to the operating system (glibc's ``malloc_trim``); False where
    that does not apply (not Linux, or another C library)."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return False
    if trim is None:
        return False
    trim(0)
    return True
