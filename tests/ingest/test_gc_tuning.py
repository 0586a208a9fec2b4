"""The collector settings the ingest runs under: scoped to the ingest step, which applies them
at the process's entry point (the asset's body), not inside the library."""

from __future__ import annotations

import gc
import logging
from pathlib import Path

import dagster as dg

from assets.ingest import cdf_incremental_ingest
from assets.resources import CdfResource, WarehouseResource
from ingest.gc_tuning import INGEST_THRESHOLDS, tuned_for_ingest


def test_tuning_applies_inside_and_is_undone_after() -> None:
    before = gc.get_threshold()
    with tuned_for_ingest():
        assert gc.get_threshold() == INGEST_THRESHOLDS
        assert gc.get_freeze_count() > 0  # the modules imported so far are out of collection
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_cycles_made_during_the_ingest_are_still_freed() -> None:
    class Node:
        def __init__(self) -> None:
            self.me = self

    with tuned_for_ingest():
        gc.collect()
        counted_before = len(gc.get_objects())
        for _ in range(50_000):
            Node()  # each one is garbage only the collector can free
        # The youngest generation runs every 10,000 allocations: at most a few thousand are
        # left, not 50,000.
        assert len(gc.get_objects()) - counted_before < 20_000


def test_free_memory_is_handed_back_on_linux() -> None:
    import sys

    from ingest.gc_tuning import release_free_memory

    assert release_free_memory() is sys.platform.startswith("linux")


def test_the_ingest_step_runs_under_the_tuning_and_undoes_it(sim_url: str, tmp_path: Path) -> None:
    """The ingest's own code sets nothing; the asset's body does, for the whole step."""
    during: list[tuple[tuple[int, int, int], int]] = []

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if getattr(record, "ingest_report", None) is not None:
                during.append((gc.get_threshold(), gc.get_freeze_count()))

    before = gc.get_threshold()
    logger = logging.getLogger("ingest.progress")
    watch, level = Watch(), logger.level
    logger.addHandler(watch)
    logger.setLevel(logging.DEBUG)
    try:
        result = dg.materialize(
            [cdf_incremental_ingest],
            resources={
                "cdf": CdfResource(
                    base_url=sim_url,
                    project="test-project",
                    token_url=f"{sim_url}/oauth2/token",
                    client_id="gc-test",
                    client_secret="gc-test-secret",
                ),
                "warehouse": WarehouseResource(directory=str(tmp_path / "wh")),
            },
        )
    finally:
        logger.removeHandler(watch)
        logger.setLevel(level)
    assert result.success
    assert during, "the ingest reported no progress"
    assert all(t == INGEST_THRESHOLDS and frozen > 0 for t, frozen in during), during[:3]
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
