"""The collector settings the ingest runs under are scoped to it."""

from __future__ import annotations

import gc

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
