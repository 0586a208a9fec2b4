from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from warehouse.store import Warehouse


@pytest.fixture
def wh(tmp_path: Path) -> Iterator[Warehouse]:
    with Warehouse(tmp_path / "wh") as warehouse:
        # Tables only: the analytics views in sql/ are tested on their own.
        warehouse.ensure_schema(views=False)
        yield warehouse
