"""Shared pieces of the reliability tests: a tiny world, its clean warehouse, byte fingerprints."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.ingest import ingest, snapshot
from tests.support.reliability import PAGE_SIZE, config_for, inprocess, tiny_sim


@pytest.fixture(scope="session")
def clean_snapshot(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[Any, ...]]]:
    """The tiny world ingested once without faults: what every faulty run must end with."""
    directory = tmp_path_factory.mktemp("clean") / "wh"
    ingest(config_for(), directory, inprocess(tiny_sim()), page_size=PAGE_SIZE)
    return snapshot(directory)
