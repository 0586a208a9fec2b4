"""Names of the files a warehouse directory holds (the outside contract's layout)."""

from __future__ import annotations

# <WAREHOUSE_DIR>/workflows.duckdb: the database every reader and writer opens.
DATABASE_FILE = "workflows.duckdb"
# <WAREHOUSE_DIR>/workflows.duckdb.lock: the single writer's lock (warehouse.lock).
LOCK_FILE = DATABASE_FILE + ".lock"
# <WAREHOUSE_DIR>/parquet/<table>/<key>=YYYY-MM-DD/data.parquet
PARQUET_DIR = "parquet"
DATA_FILE = "data.parquet"
# A partition file being written, under a hidden name in the same directory (warehouse.parquet).
TMP_PREFIX = ".data.parquet.tmp-"
