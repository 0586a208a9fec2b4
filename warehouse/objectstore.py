"""Parquet partitions on S3 (or an S3-compatible server): the same layout as on disk.

``WAREHOUSE_PARQUET_URI=s3://bucket/prefix`` puts the Parquet tree at
``s3://bucket/prefix/<table>/<partition_key>=YYYY-MM-DD/data.parquet``; DuckDB's file stays
local (one writer per file, and it is the source the partitions are written from).

Atomic replacement: S3 has no rename, but a PUT of one object is atomic: a reader sees the old
``data.parquet`` or the new one, never a partial one. So a partition is written whole in memory
and then PUT as ``data.parquet`` in one request; any other object left in the partition is
removed after. The dirty marks in DuckDB are cleared only after the PUT returned, so a crash
between DuckDB's commit and the PUT is repaired by the next flush, as on disk.

Credentials and endpoint come from the usual AWS variables (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_REGION``/``AWS_DEFAULT_REGION``, or an
instance role), plus ``AWS_ENDPOINT_URL`` for S3-compatible servers (MinIO, moto, Ceph).
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from warehouse.layout import DATA_FILE
from warehouse.schema import Table

PARQUET_URI_VARIABLE = "WAREHOUSE_PARQUET_URI"


def is_object_store_uri(uri: str | None) -> bool:
    return bool(uri) and str(uri).startswith("s3://")


def s3_filesystem(env: Mapping[str, str] | None = None) -> Any:
    """An ``s3fs.S3FileSystem`` from the AWS variables; listings are never cached, because the
    tree changes under it (a flush, another process) and a stale listing would hide files."""
    import s3fs

    env = os.environ if env is None else env
    client_kwargs: dict[str, str] = {}
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        client_kwargs["region_name"] = region
    options: dict[str, Any] = {
        "use_listings_cache": False,
        "skip_instance_cache": True,
        "client_kwargs": client_kwargs,
    }
    endpoint = env.get("AWS_ENDPOINT_URL", "").strip()
    if endpoint:
        options["endpoint_url"] = endpoint
    if env.get("AWS_ACCESS_KEY_ID"):
        options["key"] = env["AWS_ACCESS_KEY_ID"]
        options["secret"] = env.get("AWS_SECRET_ACCESS_KEY")
        options["token"] = env.get("AWS_SESSION_TOKEN") or None
    return s3fs.S3FileSystem(**options)


class S3ParquetStore:
    """The Parquet tree under ``s3://bucket/prefix``."""

    def __init__(self, uri: str, filesystem: Any | None = None) -> None:
        if not is_object_store_uri(uri):
            raise ValueError(
                f"{PARQUET_URI_VARIABLE} must look like s3://bucket/prefix, got {uri!r}"
            )
        self.uri = uri.rstrip("/")
        self.root = self.uri.removeprefix("s3://")
        self.fs = filesystem if filesystem is not None else s3_filesystem()

    def partition_path(self, tbl: Table, day: date) -> str:
        return f"{self.root}/{tbl.name}/{tbl.partition_key}={day.isoformat()}"

    def write_partition(self, tbl: Table, day: date, data: pa.Table) -> int:
        """Make the partition hold exactly ``data``; returns its row count (0: removed)."""
        directory = self.partition_path(tbl, day)
        target = f"{directory}/{DATA_FILE}"
        if data.num_rows == 0:
            for path in self._objects(directory):
                self.fs.rm_file(path)
            return 0
        buffer = io.BytesIO()
        pq.write_table(data, buffer, compression="zstd")
        # One PUT of the whole file: the object is replaced atomically.
        self.fs.pipe_file(target, buffer.getvalue())
        # Any other object in the partition (none in this layout) would duplicate rows.
        for path in self._objects(directory):
            if path != target:
                self.fs.rm_file(path)
        return data.num_rows

    def listing(self, prefix: str) -> dict[str, dict[str, Any]]:
        """The objects under ``prefix`` with what one listing says of each (size, ETag)."""
        try:
            found = self.fs.find(prefix, detail=True)
        except FileNotFoundError:
            return {}
        return {path: info for path, info in found.items() if not path.endswith("/")}

    def _objects(self, prefix: str) -> list[str]:
        return list(self.listing(prefix))
