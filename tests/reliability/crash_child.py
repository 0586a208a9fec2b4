"""Test harness run in a child process: one ingest that stops dead at a chosen point.

``python -m tests.reliability.crash_child URL WAREHOUSE_DIR POINT`` patches one function of the
ingest (in this process only: production code has no hook), and when the run reaches POINT it
prints ``AT POINT`` and sleeps, so that the parent can SIGKILL it exactly there. POINT ``none``
runs the ingest unpatched (the parent kills it on a timer). ``DONE`` is printed when the run
ends without being stopped.
"""

from __future__ import annotations

import functools
import inspect
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BATCH_SIZE = 8  # many small DuckDB transactions, so kills land between and inside them
PAGE_SIZE = 16


def _stop_here(point: str) -> None:
    print(f"AT {point}", flush=True)
    time.sleep(120)  # the parent kills us now
    raise SystemExit(f"not killed at {point}")


def _hook(
    owner: Any,
    name: str,
    point: str,
    *,
    nth: int,
    after: bool,
    when: Callable[..., bool] = lambda *a, **k: True,
) -> None:
    """Stop at the ``nth`` matching call of ``owner.name``, before or after it ran."""
    original = getattr(owner, name)
    seen = 0

    # A classmethod or staticmethod is set back as a staticmethod around the bound original.
    static = isinstance(inspect.getattr_static(owner, name), classmethod | staticmethod)

    def matches(args: Any, kwargs: Any) -> bool:
        nonlocal seen
        if not when(*args, **kwargs):
            return False
        seen += 1
        return seen == nth

    if inspect.iscoroutinefunction(original):

        @functools.wraps(original)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            hit = matches(args, kwargs)
            if hit and not after:
                _stop_here(point)
            result = await original(*args, **kwargs)
            if hit and after:
                _stop_here(point)
            return result

        setattr(owner, name, async_wrapper)
        return

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        hit = matches(args, kwargs)
        if hit and not after:
            _stop_here(point)
        result = original(*args, **kwargs)
        if hit and after:
            _stop_here(point)
        return result

    setattr(owner, name, staticmethod(wrapper) if static else wrapper)


def install(point: str) -> None:
    import pyarrow.parquet as pq

    import cdf_client.client
    import ingest.runner
    import warehouse.parquet
    import warehouse.store
    from cdf_client.client import WorkflowsClient
    from warehouse.store import Warehouse

    if point == "listing":
        # The preflight reads one page; the 3rd list page is the listing's second.
        _hook(cdf_client.client, "page_of", point, nth=3, after=True, when=lambda r, k: k == "list")
    elif point == "fetching":
        _hook(WorkflowsClient, "_retrieve", point, nth=20, after=True)
    elif point == "duckdb-write":
        # Inside the second batch's transaction: executions replaced, task rows inserted,
        # nothing committed.
        _hook(
            warehouse.store,
            "_scalar",
            point,
            nth=2,
            after=True,
            when=lambda con, name: name == "insert_tasks",
        )
    elif point == "final-commit":
        # The last batch and the new high-water mark, in one transaction not yet committed.
        _hook(Warehouse, "_write_state", point, nth=1, after=True)
    elif point == "before-parquet":
        _hook(warehouse.parquet, "rewrite_partition", point, nth=1, after=False)
    elif point == "parquet-temporary":
        # The third partition's new file is written under its hidden temporary name, not renamed.
        _hook(pq, "write_table", point, nth=3, after=True)
    elif point == "parquet-mid-flush":
        # Three partitions renamed in place, the third one's dirty mark not yet cleared.
        _hook(warehouse.parquet, "rewrite_partition", point, nth=3, after=True)
    elif point == "last-run-record":
        _hook(Warehouse, "write_state", point, nth=1, after=False)
    elif point == "triggers":
        _hook(ingest.runner, "ingest_triggers", point, nth=1, after=False)
    elif point != "none":
        raise SystemExit(f"unknown kill point {point!r}")


def main() -> None:
    url, directory, point = sys.argv[1:4]
    from ingest.executions import IngestSettings
    from ingest.runner import run_ingest
    from tests.support.sim import cdf_config_for

    install(point)
    settings = IngestSettings(batch_size=BATCH_SIZE, page_size=PAGE_SIZE)
    run_ingest(cdf_config_for(url), Path(directory), settings)
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
