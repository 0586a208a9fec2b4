"""Warehouse.checkpoint writes the committed changes into the database file, under the cap it
is given (the analytics step's end uses it to keep its peak low)."""

from __future__ import annotations

from pathlib import Path

from tests.support.detail_records import ms, synthetic_details
from tests.support.parquet import NOW
from warehouse.flatten import flatten_details
from warehouse.store import Warehouse


def test_a_checkpoint_empties_the_log_under_the_cap_it_was_given(tmp_path: Path) -> None:
    records = synthetic_details(20, tasks_per_execution=3, start=ms("2024-05-01T10:00:00"))
    with Warehouse(tmp_path / "wh", memory_limit="512MB") as wh:
        wh.ensure_schema(views=False)
        wh.apply_batch(flatten_details(records, ingested_at=NOW))
        wal = Path(f"{wh.database_path}.wal")
        assert wal.exists() and wal.stat().st_size > 0
        wh.checkpoint("64MB")
        assert not wal.exists() or wal.stat().st_size == 0
        limit = wh.connection.execute("SELECT current_setting('memory_limit')").fetchone()
        assert limit == ("61.0 MiB",)
    with Warehouse(tmp_path / "wh", read_only=True) as wh:
        assert wh.counts()["workflow_executions"] == 20
