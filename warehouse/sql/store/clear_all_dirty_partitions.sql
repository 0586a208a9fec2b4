-- description: Forget every dirty mark (after a full Parquet export).
-- depends: _dirty_partitions
-- columns: none
DELETE FROM _dirty_partitions
