"""Names of the files a warehouse directory holds (the outside contract's layout)."""

from __future__ import annotations

from pathlib import Path

# <WAREHOUSE_DIR>/workflows.duckdb: the database every reader and writer opens.
DATABASE_FILE = "workflows.duckdb"
# <WAREHOUSE_DIR>/workflows.duckdb.lock: the single writer's lock (warehouse.lock).
LOCK_FILE = DATABASE_FILE + ".lock"
# <WAREHOUSE_DIR>/parquet/<table>/<key>=YYYY-MM-DD/data.parquet
PARQUET_DIR = "parquet"
DATA_FILE = "data.parquet"
# A partition file being written, under a hidden name in the same directory (warehouse.parquet).
TMP_PREFIX = ".data.parquet.tmp-"


def missing_warehouse(directory: Path) -> str | None:
    """The line a reader prints when ``directory`` holds no warehouse yet, or None if it does."""
    if (Path(directory) / DATABASE_FILE).is_file():
        return None
    return (
        f"no warehouse at {directory}: run `workflow-analytics ingest` first (or set WAREHOUSE_DIR)"
    )
